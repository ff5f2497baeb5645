rule SigdeskTest_PowershellDownloader : test downloader
{
    meta:
        description = "Test family: PowerShell that downloads and runs a payload"
        case = "baseline"
    strings:
        $dl1 = "DownloadString(" nocase
        $dl2 = "DownloadFile(" nocase
        $iex = "IEX" nocase fullword
        $hidden = "-WindowStyle Hidden" nocase
    condition:
        filesize < 1MB and any of ($dl*) and ($iex or $hidden)
}
