rule SigdeskTest_Dropper : test dropper
{
    meta:
        description = "Test family: a dropper that carries a marker and writes a run key"
        case = "baseline"
    strings:
        $marker = "SIGDESK-TEST-DROPPER" ascii wide
        $run = "Software\\Microsoft\\Windows\\CurrentVersion\\Run" ascii wide nocase
    condition:
        uint16(0) == 0x5A4D and $marker and $run
}
