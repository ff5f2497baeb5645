# Inventory script used by IT: lists installed updates, downloads nothing.
Get-HotFix | Sort-Object InstalledOn | Format-Table HotFixID, InstalledOn
Write-Output "Inventory complete"
