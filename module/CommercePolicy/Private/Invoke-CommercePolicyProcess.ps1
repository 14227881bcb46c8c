# Running the process: the binary started with its own environment and standard input, its
# stderr lines passed on as they arrive, waited for in short slices (so that Ctrl+C stops the
# pipeline at once), and killed in `finally` when the pipeline stops or a deadline passes.

# How long one wait for the child lasts before PowerShell gets a chance to stop the pipeline.
$script:ProcessWaitSliceMilliseconds = 100

function Invoke-CommercePolicyProcess {
    <#
    .SYNOPSIS
    Runs a program with arguments, extra environment variables of its own and standard input;
    writes each line of its standard error as a string as it arrives, and then a hashtable with
    its ExitCode and StandardOutput.

    .DESCRIPTION
    System.Diagnostics.Process rather than the call operator: the environment variables are the
    child's only (a token never enters this PowerShell process's environment), stdout and stderr
    stay apart, and Windows PowerShell 5.1's quoting of native arguments does not apply.

    Standard error is always redirected, also for a sign-in that talks to the person (device
    code, browser): in hosts without a console (ISE, remoting, notebooks, embedded runspaces) a
    child's console output would be lost, so the caller relays each line to the host itself.
    -Interactive gives the child a window of its own where it needs one (no hidden window).

    An environment value that is a SecureString is converted as the child is started;
    -InputSecret is written to standard input after the lines, straight from unmanaged memory,
    which is then zeroed. -TimeoutMilliseconds kills the child after that long and throws a
    TimeoutException.
    #>
    [CmdletBinding()]
    [OutputType([string], [hashtable])]
    param(
        [Parameter(Mandatory = $true)]
        [string]
        $FilePath,

        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [string[]]
        $ArgumentList,

        [Parameter()]
        [hashtable]
        $Environment = @{},

        [Parameter()]
        [AllowEmptyCollection()]
        [string[]]
        $InputLine = @(),

        [Parameter()]
        [AllowNull()]
        [System.Security.SecureString]
        $InputSecret,

        [Parameter()]
        [switch]
        $Interactive,

        [Parameter()]
        [int]
        $TimeoutMilliseconds = 0
    )

    $process = New-Object System.Diagnostics.Process
    $process.StartInfo = New-CommercePolicyStartInfo -FilePath $FilePath -ArgumentList $ArgumentList -Environment $Environment -Interactive:$Interactive
    [void] $process.Start()
    $deadline = $null
    if ($TimeoutMilliseconds -gt 0) {
        $deadline = [System.DateTime]::UtcNow.AddMilliseconds($TimeoutMilliseconds)
    }
    try {
        # Read stdout while writing stdin and reading stderr, so that no pipe fills up and blocks.
        $standardOutput = $process.StandardOutput.ReadToEndAsync()
        Write-CommercePolicyInput -Process $process -InputLine $InputLine -InputSecret $InputSecret

        $lineTask = $process.StandardError.ReadLineAsync()
        while ($null -ne $lineTask) {
            # Also between lines: a chatty child must not outlive its deadline.
            Assert-CommercePolicyDeadline -Deadline $deadline
            if (-not $lineTask.Wait($script:ProcessWaitSliceMilliseconds)) {
                continue
            }
            $line = $lineTask.Result
            $lineTask = $null
            if ($null -ne $line) {
                $line
                $lineTask = $process.StandardError.ReadLineAsync()
            }
        }
        while (-not $standardOutput.Wait($script:ProcessWaitSliceMilliseconds)) {
            Assert-CommercePolicyDeadline -Deadline $deadline
        }
        while (-not $process.WaitForExit($script:ProcessWaitSliceMilliseconds)) {
            Assert-CommercePolicyDeadline -Deadline $deadline
        }
        @{
            ExitCode       = $process.ExitCode
            StandardOutput = $standardOutput.Result
        }
    }
    finally {
        # Ctrl+C, a deadline, or any failure here: no orphan goes on changing policies.
        if (-not $process.HasExited) {
            try {
                $process.Kill()
                [void] $process.WaitForExit(2000)
            }
            catch {
                Write-Verbose ('could not stop commerce-policy: {0}' -f $_.Exception.Message)
            }
        }
        $process.Dispose()
    }
}

function Assert-CommercePolicyDeadline {
    <#
    .SYNOPSIS
    Throws a TimeoutException once the deadline (UTC) has passed; nothing without a deadline.
    #>
    [CmdletBinding()]
    param(
        [Parameter()]
        [AllowNull()]
        [object]
        $Deadline
    )

    if ($null -ne $Deadline -and [System.DateTime]::UtcNow -gt $Deadline) {
        throw (New-Object System.TimeoutException -ArgumentList 'commerce-policy did not answer in time')
    }
}

function New-CommercePolicyStartInfo {
    <#
    .SYNOPSIS
    The start info of the binary: every stream redirected as UTF-8, its own environment
    variables, the arguments as a list (PowerShell 7) or one quoted command line (5.1).
    #>
    [CmdletBinding()]
    [OutputType([System.Diagnostics.ProcessStartInfo])]
    param(
        [Parameter(Mandatory = $true)]
        [string]
        $FilePath,

        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [string[]]
        $ArgumentList,

        [Parameter(Mandatory = $true)]
        [hashtable]
        $Environment,

        [Parameter()]
        [switch]
        $Interactive
    )

    $utf8 = New-Object System.Text.UTF8Encoding -ArgumentList $false
    $startInfo = New-Object System.Diagnostics.ProcessStartInfo
    $startInfo.FileName = $FilePath
    $startInfo.UseShellExecute = $false
    # A sign-in that talks to the person keeps a window where the system gives it one.
    $startInfo.CreateNoWindow = -not $Interactive
    $startInfo.RedirectStandardInput = $true
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    $startInfo.StandardOutputEncoding = $utf8
    $startInfo.StandardErrorEncoding = $utf8
    if ($null -ne $startInfo.PSObject.Properties['StandardInputEncoding']) {
        # .NET Framework has no StandardInputEncoding: it writes the console's code page there
        # (and, on a UTF-8 console, a byte order mark, which the binary skips).
        $startInfo.StandardInputEncoding = $utf8
    }
    if ($null -ne $startInfo.PSObject.Properties['ArgumentList']) {
        foreach ($argument in $ArgumentList) {
            $startInfo.ArgumentList.Add($argument)
        }
    }
    else {
        # .NET Framework (Windows PowerShell 5.1) takes one command line string.
        $startInfo.Arguments = (@($ArgumentList | ForEach-Object { ConvertTo-CommandLineArgument -Argument $_ })) -join ' '
    }
    foreach ($name in $Environment.Keys) {
        $value = $Environment[$name]
        if ($value -is [System.Security.SecureString]) {
            $value = ConvertFrom-CommercePolicySecureString -Secret $value
        }
        $startInfo.EnvironmentVariables[$name] = $value
    }
    $startInfo
}

function Write-CommercePolicyInput {
    <#
    .SYNOPSIS
    Writes the lines, then the secret, to the child's standard input and closes it.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [System.Diagnostics.Process]
        $Process,

        [Parameter()]
        [AllowEmptyCollection()]
        [string[]]
        $InputLine = @(),

        [Parameter()]
        [AllowNull()]
        [System.Security.SecureString]
        $InputSecret
    )

    try {
        foreach ($line in $InputLine) {
            $Process.StandardInput.WriteLine($line)
        }
        if ($null -ne $InputSecret) {
            Write-CommercePolicySecret -Writer $Process.StandardInput -Secret $InputSecret
        }
        $Process.StandardInput.Close()
    }
    catch [System.IO.IOException] {
        # The binary stopped before reading its input (a usage error, say): its exit code and
        # stderr tell why.
        Write-Verbose ('commerce-policy did not read its input: {0}' -f $_.Exception.Message)
    }
}

function ConvertTo-CommandLineArgument {
    <#
    .SYNOPSIS
    Quotes one argument for a Windows command line (the rules of CommandLineToArgvW).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [AllowEmptyString()]
        [string]
        $Argument
    )

    if ($Argument.Length -gt 0 -and $Argument -notmatch '[\s"]') {
        return $Argument
    }
    # Backslashes are literal except before a quote: double those, and those at the end.
    $escaped = $Argument -replace '(\\*)"', '$1$1\"'
    $escaped = $escaped -replace '(\\+)$', '$1$1'
    '"{0}"' -f $escaped
}

function Write-CommercePolicySecret {
    <#
    .SYNOPSIS
    Writes a SecureString and a line break to a writer, character by character from unmanaged
    memory that is zeroed and freed afterwards: no managed string of the secret is made.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [System.IO.TextWriter]
        $Writer,

        [Parameter(Mandatory = $true)]
        [System.Security.SecureString]
        $Secret
    )

    $pointer = [System.Runtime.InteropServices.Marshal]::SecureStringToGlobalAllocUnicode($Secret)
    try {
        for ($index = 0; $index -lt $Secret.Length; $index++) {
            # ReadInt16 is signed: the mask gives the UTF-16 code unit.
            $Writer.Write([char] ([System.Runtime.InteropServices.Marshal]::ReadInt16($pointer, $index * 2) -band 0xFFFF))
        }
        $Writer.WriteLine()
        $Writer.Flush()
    }
    finally {
        [System.Runtime.InteropServices.Marshal]::ZeroFreeGlobalAllocUnicode($pointer)
    }
}

function ConvertFrom-CommercePolicySecureString {
    <#
    .SYNOPSIS
    The text of a SecureString, for an environment variable of a child process (which takes only
    a string); the unmanaged copy is zeroed and freed.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [System.Security.SecureString]
        $Secret
    )

    $pointer = [System.Runtime.InteropServices.Marshal]::SecureStringToGlobalAllocUnicode($Secret)
    try {
        [System.Runtime.InteropServices.Marshal]::PtrToStringUni($pointer, $Secret.Length)
    }
    finally {
        [System.Runtime.InteropServices.Marshal]::ZeroFreeGlobalAllocUnicode($pointer)
    }
}
