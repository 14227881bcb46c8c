# The one way the module runs the binary: build the command line from the command table, run
# the binary with --output json, and turn its answer into typed objects and error records.

# Common parameters that reach a cmdlet's $PSBoundParameters without being its own; they are
# PowerShell's business, not the binary's.
$script:CommonParameterNames = @(
    'Verbose', 'Debug', 'ErrorAction', 'WarningAction', 'InformationAction', 'ProgressAction',
    'ErrorVariable', 'WarningVariable', 'InformationVariable', 'OutVariable', 'OutBuffer',
    'PipelineVariable', 'WhatIf', 'Confirm'
)

# The fields of the line the binary logs per request under --verbose
# ('request method=GET path=/v1.0/... status=200 attempts=1 correlation_id="..."'), which -Verbose
# shows as 'GET /v1.0/...: 200 after 1 attempt(s) (correlation id ...)'.
$script:RequestLogFields = @('method', 'path', 'status', 'attempts', 'correlation_id')

function Invoke-CommercePolicyCommand {
    <#
    .SYNOPSIS
    Runs the binary's subcommand behind a cmdlet and writes its objects and errors.

    .DESCRIPTION
    Looks the cmdlet up in $script:CommandTable, maps each parameter onto its flag (or
    environment variable, or standard input), adds the session's endpoint and token
    (Connect-MSCommerce), runs the binary, and then:
    - writes each JSON object it printed, with the table's type name; or, for an entry whose
      Output is 'Text', the text it printed (nothing when it wrote a file instead);
    - writes each result that failed (it carries an ExitCode: Failed, Conflict, or a change that
      --what-if knows would be refused) as an error record (category from its ExitCode), in place
      of the object, or also as the object for an entry with KeepFailed;
    - on a failed exit with no JSON, writes one error record whose message is the binary's line;
    - writes the binary's log lines (one per request, with its correlation id) and the
      correlation ids of the results with Write-Verbose.
    Errors are written through -Cmdlet, the public cmdlet, so that its -ErrorAction applies.
    -ExitCode receives the binary's exit code, for cmdlets whose answer is the exit code.

    -Preview runs the subcommand with its what-if flag and, instead of writing the objects, turns
    each change it would make into a "What if:" line of the cmdlet; a change that the binary
    knows the service would refuse is a failed result, so an error record instead.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet]
        $Cmdlet,

        [Parameter(Mandatory = $true)]
        [string]
        $CommandName,

        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [System.Collections.IDictionary]
        $Parameters,

        [Parameter()]
        [object]
        $TargetObject,

        [Parameter()]
        [ref]
        $ExitCode,

        [Parameter()]
        [switch]
        $Preview
    )

    if ($Preview) {
        # -WhatIf may come from $WhatIfPreference rather than the command line.
        $asked = @{}
        foreach ($key in $Parameters.Keys) {
            $asked[$key] = $Parameters[$key]
        }
        $asked.WhatIf = $true
        $Parameters = $asked
    }
    $entry = $script:CommandTable[$CommandName]
    $call = New-CommercePolicyCall -Cmdlet $Cmdlet -CommandName $CommandName -Parameters $Parameters
    $binary = Find-CommercePolicyBinary -Cmdlet $Cmdlet

    Write-Verbose ('commerce-policy {0}' -f ($call.Arguments -join ' '))
    try {
        $process = @{
            FilePath     = $binary
            ArgumentList = $call.Arguments
            Environment  = $call.Environment
            InputLine    = $call.InputLines
            InputSecret  = $call.Secret
            Interactive  = $call.Interactive
        }
        $run = Invoke-CommercePolicyProcess @process
    }
    catch {
        $message = 'Could not run {0}: {1}' -f $binary, $_.Exception.Message
        $Cmdlet.WriteError((New-CommercePolicyErrorRecord -Message $message -ExitCode 1 -TargetObject $TargetObject))
        return
    }
    if ($null -ne $ExitCode) {
        $ExitCode.Value = $run.ExitCode
    }

    $messages = New-Object System.Collections.Generic.List[string]
    foreach ($line in ($run.StandardError -split '\r?\n')) {
        if ($line.Trim().Length -eq 0) {
            continue
        }
        if ($line.StartsWith('commerce-policy: ')) {
            $messages.Add($line)
        }
        else {
            Write-Verbose (ConvertTo-CommercePolicyVerboseMessage -Line $line)
        }
    }

    $items = $null
    $text = $run.StandardOutput.Trim()
    if ($entry.Output -eq 'Text') {
        if ($run.ExitCode -eq 0) {
            Write-CommercePolicyText -Text $run.StandardOutput
            return
        }
    }
    elseif ($text.StartsWith('[') -or $text.StartsWith('{')) {
        try {
            $items = ConvertFrom-Json -InputObject $text
        }
        catch {
            $message = 'commerce-policy printed output that is not JSON: {0}' -f $_.Exception.Message
            $Cmdlet.WriteError((New-CommercePolicyErrorRecord -Message $message -ExitCode 1 -TargetObject $TargetObject))
            return
        }
    }

    if ($null -eq $items) {
        if ($run.ExitCode -ne 0) {
            $message = 'commerce-policy exited with code {0}' -f $run.ExitCode
            if ($call.Interactive) {
                # Its stderr went to the console: the reason is shown above.
                $message = 'commerce-policy {0} failed with exit code {1}: its message is shown above' -f ($entry.Command -join ' '), $run.ExitCode
            }
            elseif ($messages.Count -gt 0) {
                $message = $messages -join ' '
            }
            $Cmdlet.WriteError((New-CommercePolicyErrorRecord -Message $message -ExitCode $run.ExitCode -TargetObject $TargetObject))
        }
        return
    }

    # A batch with failures exits non-zero and still prints every result; its summary line
    # repeats what the failed results say.
    foreach ($message in $messages) {
        Write-Verbose $message
    }

    foreach ($item in $items) {
        $properties = $item.PSObject.Properties
        # Products carry ProductId; offer types (and other scopes) ScopeId.
        $id = Get-CommercePolicyProperty -InputObject $item -Name 'ProductId', 'ScopeId'
        if ($null -ne $properties['CorrelationId'] -and $null -ne $item.CorrelationId) {
            Write-Verbose ('{0}: {1} (correlation id {2})' -f $id, $item.Status, $item.CorrelationId)
        }

        $typeName = $entry.TypeName
        if ($null -ne $entry.ScopeTypeName -and $null -ne $properties['Scope']) {
            $typeName = $entry.ScopeTypeName
        }
        if (-not [string]::IsNullOrEmpty($typeName)) {
            $item.PSObject.TypeNames.Insert(0, $typeName)
        }

        # The binary gives every result that failed the exit code its failure calls for.
        $code = Get-CommercePolicyProperty -InputObject $item -Name 'ExitCode'
        if ($null -eq $code -and @('Failed', 'Conflict') -contains (Get-CommercePolicyProperty -InputObject $item -Name 'Status')) {
            $code = 1
        }
        if ($null -ne $code) {
            $message = '{0}: {1}' -f $id, $item.Error
            $Cmdlet.WriteError((New-CommercePolicyErrorRecord -Message $message -ExitCode ([int] $code) -TargetObject $id))
            if ($Preview -or -not $entry.KeepFailed) {
                continue
            }
        }
        if ($Preview) {
            Write-CommercePolicyWhatIf -Cmdlet $Cmdlet -Change $item
            continue
        }
        $item
    }
}

function Write-CommercePolicyWhatIf {
    <#
    .SYNOPSIS
    Turns one change that the binary would make into a "What if:" line of the cmdlet.

    .DESCRIPTION
    Product and offer type updates answer --what-if with PreviousValue, PolicyValue and Status;
    apply --what-if answers with the plan's CurrentValue, WantedValue and Source.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet]
        $Cmdlet,

        [Parameter(Mandatory = $true)]
        [object]
        $Change
    )

    $name = Get-CommercePolicyProperty -InputObject $Change -Name 'ProductName', 'ScopeValue'
    $id = Get-CommercePolicyProperty -InputObject $Change -Name 'ProductId', 'ScopeId'
    $from = Get-CommercePolicyProperty -InputObject $Change -Name 'PreviousValue', 'CurrentValue'
    $to = Get-CommercePolicyProperty -InputObject $Change -Name 'PolicyValue', 'WantedValue'
    $action = 'Set {0} from {1} to {2}' -f $Change.PolicyId, $from, $to
    if ((Get-CommercePolicyProperty -InputObject $Change -Name 'Status') -eq 'Unchanged') {
        $action = 'Leave {0} at {1} (unchanged)' -f $Change.PolicyId, $from
    }
    $source = Get-CommercePolicyProperty -InputObject $Change -Name 'Source'
    if ($null -ne $source) {
        $action = '{0} ({1} in the baseline)' -f $action, ([string] $source).ToLowerInvariant()
    }
    [void] $Cmdlet.ShouldProcess(('{0} ({1})' -f $name, $id), $action)
}

function Get-CommercePolicyProperty {
    <#
    .SYNOPSIS
    The value of the first of these properties that an object has, or $null.
    #>
    [CmdletBinding()]
    [OutputType([object])]
    param(
        [Parameter(Mandatory = $true)]
        [object]
        $InputObject,

        [Parameter(Mandatory = $true)]
        [string[]]
        $Name
    )

    foreach ($candidate in $Name) {
        $property = $InputObject.PSObject.Properties[$candidate]
        if ($null -ne $property) {
            return $property.Value
        }
    }
    $null
}

function Write-CommercePolicyText {
    <#
    .SYNOPSIS
    Writes the binary's text output to the pipeline without its final line break; nothing when
    it printed nothing (it wrote a file instead).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [AllowEmptyString()]
        [string]
        $Text
    )

    $trimmed = $Text.TrimEnd([char[]] @([char] 13, [char] 10))
    if ($trimmed -ne '') {
        $trimmed
    }
}

function ConvertTo-CommercePolicyVerboseMessage {
    <#
    .SYNOPSIS
    A log line of the binary as a verbose message: a request line as
    'GET /v1.0/...: 200 after 1 attempt(s) (correlation id ...)', any other line without its
    timestamp and level.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [string]
        $Line
    )

    # The binary logs '<timestamp> <LEVEL> <message> <field>=<value> ...'.
    $message = $Line.Trim()
    if ($message -match '^\S+\s+(TRACE|DEBUG|INFO|WARN|ERROR)\s+(.*)$') {
        $message = $Matches[2]
    }
    if (-not $message.StartsWith('request ')) {
        return $message
    }
    $fields = @{}
    foreach ($field in [regex]::Matches($message, '(\w+)=("[^"]*"|\S+)')) {
        $fields[$field.Groups[1].Value] = $field.Groups[2].Value.Trim([char] 34)
    }
    foreach ($name in $script:RequestLogFields) {
        if (-not $fields.ContainsKey($name)) {
            return $message
        }
    }
    $status = $fields['status']
    if ($status -eq '0') {
        $status = 'no answer'
    }
    '{0} {1}: {2} after {3} attempt(s) (correlation id {4})' -f $fields['method'], $fields['path'], $status, $fields['attempts'], $fields['correlation_id']
}

function New-CommercePolicyCall {
    <#
    .SYNOPSIS
    Maps a cmdlet's parameters onto the binary's command line, environment and standard input.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet]
        $Cmdlet,

        [Parameter(Mandatory = $true)]
        [string]
        $CommandName,

        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [System.Collections.IDictionary]
        $Parameters
    )

    $entry = $script:CommandTable[$CommandName]
    $call = @{
        Arguments   = New-Object System.Collections.Generic.List[string]
        Environment = @{}
        InputLines  = New-Object System.Collections.Generic.List[string]
        Secret      = $null
        Interactive = $false
    }
    $positional = New-Object System.Collections.Generic.List[string]
    foreach ($part in $entry.Command) {
        $call.Arguments.Add($part)
    }

    # The session's endpoint and token first, then the cmdlet's own parameters, so that -Token
    # overrides the session's token. The session has a map of its own: no sign-in parameter of
    # Connect-MSCommerce can reach another cmdlet.
    $sources = @(
        @{ Map = $script:SessionParameters; Settings = $script:Session; Owner = 'the session' },
        @{ Map = $entry.Parameters; Settings = $Parameters; Owner = $CommandName }
    )
    foreach ($source in $sources) {
        foreach ($name in @($source.Settings.Keys)) {
            $mapping = $source.Map[$name]
            if ($null -eq $mapping) {
                if ($script:CommonParameterNames -contains $name) {
                    continue
                }
                throw ('Internal error: parameter {0} of {1} has no entry in the command table' -f $name, $source.Owner)
            }
            $value = $source.Settings[$name]
            if ($null -ne $mapping.Unmapped -or $null -eq $value) {
                continue
            }
            if ($mapping.Path) {
                # The binary runs in the process's working directory, not in PowerShell's location.
                $value = @(foreach ($item in @($value)) { $Cmdlet.GetUnresolvedProviderPathFromPSPath([string] $item) })
            }
            if ($null -ne $mapping.Env) {
                if ($value -is [System.Security.SecureString]) {
                    # Converted by Invoke-CommercePolicyProcess as it starts the child.
                    $call.Environment[$mapping.Env] = $value
                }
                elseif ([string] $value -ne '') {
                    $call.Environment[$mapping.Env] = [string] $value
                }
            }
            elseif ($mapping.SecretStdin) {
                if ($value -isnot [System.Security.SecureString]) {
                    throw ('Internal error: parameter {0} of {1} goes to stdin as a secret and must be a SecureString' -f $name, $source.Owner)
                }
                $call.Arguments.Add($mapping.Flag)
                $call.Secret = $value
            }
            elseif ($mapping.Switch) {
                if ($value) {
                    $call.Arguments.Add($mapping.Flag)
                    if ($mapping.Interactive) {
                        $call.Interactive = $true
                    }
                }
            }
            elseif ($mapping.Stdin) {
                $call.Arguments.Add($mapping.Flag)
                $call.Arguments.Add('-')
                foreach ($item in @($value)) {
                    $call.InputLines.Add([string] $item)
                }
            }
            elseif ($null -ne $mapping.Positional) {
                foreach ($item in @($value)) {
                    $positional.Add([string] $item)
                }
            }
            else {
                foreach ($item in @($value)) {
                    $call.Arguments.Add($mapping.Flag)
                    $call.Arguments.Add([string] $item)
                }
            }
        }
    }

    $call.Arguments.AddRange([string[]] $script:InvariantFlags.Output)
    if ($VerbosePreference -ne 'SilentlyContinue') {
        $call.Arguments.AddRange([string[]] $script:InvariantFlags.Verbose)
    }
    if ($positional.Count -gt 0) {
        # After '--' an id that starts with '-' is still an id.
        $call.Arguments.Add('--')
        $call.Arguments.AddRange($positional)
    }
    $call.Arguments = $call.Arguments.ToArray()
    $call.InputLines = $call.InputLines.ToArray()
    $call
}

function New-CommercePolicyErrorRecord {
    <#
    .SYNOPSIS
    An error record for a failure of the binary: its exit code chooses the category and id.
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param(
        [Parameter(Mandatory = $true)]
        [string]
        $Message,

        [Parameter(Mandatory = $true)]
        [int]
        $ExitCode,

        [Parameter()]
        [object]
        $TargetObject
    )

    $kind = $script:ExitCodeErrors[$ExitCode]
    if ($null -eq $kind) {
        $kind = $script:ExitCodeErrors[1]
    }
    $exception = New-Object System.Exception -ArgumentList $Message
    $category = [System.Management.Automation.ErrorCategory] $kind.Category
    $record = New-Object System.Management.Automation.ErrorRecord -ArgumentList @($exception, $kind.ErrorId, $category, $TargetObject)

    # The binary ends its line with what to do, after an em dash.
    $dash = ' {0} ' -f [char] 0x2014
    $at = $Message.LastIndexOf($dash)
    if ($at -ge 0) {
        $details = New-Object System.Management.Automation.ErrorDetails -ArgumentList $Message
        $details.RecommendedAction = $Message.Substring($at + $dash.Length)
        $record.ErrorDetails = $details
    }
    if ($Message -match '\(correlation id ([0-9A-Fa-f-]+)\)') {
        Write-Verbose ('correlation id {0}' -f $Matches[1])
    }
    $record
}

function Invoke-CommercePolicyProcess {
    <#
    .SYNOPSIS
    Runs a program with arguments, extra environment variables of its own and standard input,
    and returns its exit code, standard output and standard error.

    .DESCRIPTION
    System.Diagnostics.Process rather than the call operator: the environment variables are the
    child's only (a token never enters this PowerShell process's environment), stdout and stderr
    stay apart, and Windows PowerShell 5.1's quoting of native arguments does not apply.

    An environment value that is a SecureString is converted as the child is started;
    -InputSecret is written to standard input after the lines, straight from unmanaged memory,
    which is then zeroed. -Interactive leaves standard error to the console (the child talks to
    the person while it runs); StandardError is then empty.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
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
        $Interactive
    )

    $utf8 = New-Object System.Text.UTF8Encoding -ArgumentList $false
    $startInfo = New-Object System.Diagnostics.ProcessStartInfo
    $startInfo.FileName = $FilePath
    $startInfo.UseShellExecute = $false
    $startInfo.CreateNoWindow = $true
    $startInfo.RedirectStandardInput = $true
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = -not $Interactive
    $startInfo.StandardOutputEncoding = $utf8
    if ($null -ne $startInfo.PSObject.Properties['StandardInputEncoding']) {
        # .NET Framework has no StandardInputEncoding: it writes the console's code page there.
        $startInfo.StandardInputEncoding = $utf8
    }
    if (-not $Interactive) {
        # Setting an encoding of a stream that is not redirected is an error.
        $startInfo.StandardErrorEncoding = $utf8
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

    $process = New-Object System.Diagnostics.Process
    $process.StartInfo = $startInfo
    [void] $process.Start()
    try {
        # Read both streams while writing stdin, so that no pipe fills up and blocks.
        $standardOutput = $process.StandardOutput.ReadToEndAsync()
        $standardError = $null
        if (-not $Interactive) {
            $standardError = $process.StandardError.ReadToEndAsync()
        }
        try {
            foreach ($line in $InputLine) {
                $process.StandardInput.WriteLine($line)
            }
            if ($null -ne $InputSecret) {
                Write-CommercePolicySecret -Writer $process.StandardInput -Secret $InputSecret
            }
            $process.StandardInput.Close()
        }
        catch [System.IO.IOException] {
            # The binary stopped before reading its input (a usage error, say): its exit code
            # and stderr tell why.
            Write-Verbose ('commerce-policy did not read its input: {0}' -f $_.Exception.Message)
        }
        $process.WaitForExit()
        $errorText = ''
        if ($null -ne $standardError) {
            $errorText = $standardError.Result
        }
        @{
            ExitCode       = $process.ExitCode
            StandardOutput = $standardOutput.Result
            StandardError  = $errorText
        }
    }
    finally {
        $process.Dispose()
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
