rule EICAR_Test_File : test
{
    meta:
        description = "The EICAR anti-malware test file"
        case = "baseline"
    strings:
        $eicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    condition:
        $eicar at 0 or ($eicar and filesize < 256)
}
