<#
.SYNOPSIS
    Throughput of the age layer (AgeEncryptingReader / AgeDecryptingStream) against the age program on the same bytes.
.DESCRIPTION
    Writes SizeMiB of random bytes (incompressible, like a compressed backup) to a temporary folder, then times: our
    encryption to one X25519 recipient and our decryption (in this process, stream copy to a file), and age -r / age -d
    as whole processes on the same input. Prints one row per run in MB/s (10^6 bytes per second). The folder is removed.
    Run from the repository after ./build.ps1 -Task Build.
#>
param([int] $SizeMiB = 1024, [string] $Module = (Join-Path $PSScriptRoot '../out/SqliteBackup/SqliteBackup.psd1'))
$ErrorActionPreference = 'Stop'
Import-Module $Module -Force
$dir = Join-Path ([IO.Path]::GetTempPath()) ("agebench-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $dir | Out-Null
try {
    $plain = Join-Path $dir 'plain'
    $bytes = [long]$SizeMiB * 1MB
    & head -c $bytes /dev/urandom > $plain
    $key = New-SqliteBackupKey (Join-Path $dir 'key.txt')
    $ids = [SqliteBackup.Core.Encryption.AgeIdentityFile]::Load($key.Path).Identities
    $recipient = [SqliteBackup.Core.Encryption.AgeX25519Recipient]::Parse($key.Recipient)

    function Row($what, $seconds) { [pscustomobject]@{ Run = $what; Seconds = [math]::Round($seconds, 2); MBps = [math]::Round($bytes / 1e6 / $seconds, 0) } }

    $sw = [Diagnostics.Stopwatch]::StartNew()
    $in = [IO.File]::OpenRead($plain)
    $reader = [SqliteBackup.Core.Encryption.AgeEncryptingReader]::new($in, [SqliteBackup.Core.Encryption.IAgeRecipient[]]@($recipient), $false)
    $out = [IO.File]::Create((Join-Path $dir 'ours.age'))
    $reader.CopyTo($out, 1MB); $out.Dispose(); $reader.Dispose()
    Row 'ours encrypt (in process)' $sw.Elapsed.TotalSeconds

    $sw.Restart()
    $in = [IO.File]::OpenRead((Join-Path $dir 'ours.age'))
    $dec = [SqliteBackup.Core.Encryption.AgeDecryptingStream]::Open($in, [SqliteBackup.Core.Encryption.IAgeIdentity[]]@($ids), 'ours.age', $false)
    $out = [IO.File]::Create((Join-Path $dir 'ours.out'))
    $dec.CopyTo($out, 1MB); $out.Dispose(); $dec.Dispose()
    Row 'ours decrypt (in process)' $sw.Elapsed.TotalSeconds
    if ((Get-FileHash (Join-Path $dir 'ours.out')).Hash -ne (Get-FileHash $plain).Hash) { throw 'round trip differs' }
    Remove-Item (Join-Path $dir 'ours.out')

    $sw.Restart()
    & age -r $key.Recipient -o (Join-Path $dir 'age.age') $plain
    Row 'age -r (whole process)' $sw.Elapsed.TotalSeconds

    $sw.Restart()
    & age -d -i $key.Path -o (Join-Path $dir 'age.out') (Join-Path $dir 'ours.age')
    Row 'age -d (whole process)' $sw.Elapsed.TotalSeconds
}
finally { Remove-Item -Recurse -Force $dir }
