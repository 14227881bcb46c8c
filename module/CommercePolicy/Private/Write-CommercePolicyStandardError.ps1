# The binary's standard error, line by line as it arrives (JSON objects under --log-format
# json): its log events (they carry a timestamp) become verbose messages, or warnings at WARN
# level and above; its failure line (the object with an exitCode, or a 'commerce-policy: ' line
# in the text format) is kept for the error record or the warning it becomes once the exit code
# is known; a line for the person (an object without a timestamp, such as the device-code
# instruction, or any plain line, such as a browser sign-in's URL) is a warning at WARN level and
# above, and otherwise relayed to the host at once.

# The fields of a request's log line, which -Verbose shows as
# 'GET /v1.0/...: 200 after 1 attempt(s) (correlation id ...)'.
$script:RequestLogFields = @('method', 'path', 'status', 'attempts', 'correlation_id')

# Log levels that reach Write-Warning (throttling, retries, anything the binary warns about).
$script:WarningLogLevels = @('WARN', 'WARNING', 'ERROR')

function Write-CommercePolicyStandardError {
    <#
    .SYNOPSIS
    Handles one line of the binary's standard error: relays it, or adds it to -Messages.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [AllowEmptyString()]
        [string]
        $Line,

        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [System.Collections.Generic.List[string]]
        $Messages
    )

    $text = $Line.Trim()
    if ($text.Length -eq 0) {
        return
    }
    if ($text.StartsWith('commerce-policy: ')) {
        $Messages.Add($text)
        return
    }
    $log = ConvertFrom-CommercePolicyLogLine -Line $text
    if ($null -ne $log -and $log.Failure) {
        # The binary's one line about why the command failed, in the text format's words.
        $Messages.Add(('commerce-policy: {0}' -f $log.Text))
        return
    }
    if ($null -ne $log -and $script:WarningLogLevels -contains $log.Level) {
        Write-Warning $log.Message
    }
    elseif ($null -eq $log -or $log.ForPerson) {
        # The binary talks to the person: show it in every host, also without a console.
        $shown = $text
        if ($null -ne $log) {
            $shown = $log.Text
        }
        Write-Information -MessageData $shown -InformationAction Continue -Tags 'commerce-policy'
    }
    else {
        Write-Verbose $log.Message
    }
}

function ConvertFrom-CommercePolicyLogLine {
    <#
    .SYNOPSIS
    A log line of the binary as @{ Level; Message; Text; Failure; ForPerson }, or $null when the
    line is no log line. Failure: the line that says why the command failed (it carries the
    exitCode); ForPerson: a JSON line that is no log event (no timestamp: a notice or a prompt);
    Text: its message alone.

    .DESCRIPTION
    Reads the JSON objects of --log-format json (level, message, and the request's fields, at
    the top or under 'fields' as tracing writes them), and the text format
    '<timestamp> <LEVEL> <message> <field>=<value> ...' of a binary that predates it. A request
    line reads as 'GET /v1.0/...: 200 after 1 attempt(s) (correlation id ...)'.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory = $true)]
        [string]
        $Line
    )

    $fields = @{}
    $level = $null
    $forPerson = $false
    if ($Line.StartsWith('{')) {
        try {
            $object = ConvertFrom-Json -InputObject $Line
        }
        catch {
            return $null
        }
        foreach ($source in @($object, $object.fields)) {
            if ($null -eq $source) {
                continue
            }
            foreach ($property in $source.PSObject.Properties) {
                if ($property.Name -ne 'fields' -and $null -ne $property.Value) {
                    $fields[$property.Name] = [string] $property.Value
                }
            }
        }
        $level = $fields['level']
        if ($null -eq $level -or $null -eq $fields['message']) {
            return $null
        }
        $forPerson = -not $fields.ContainsKey('timestamp')
    }
    elseif ($Line -match '^\S+\s+(TRACE|DEBUG|INFO|WARN|ERROR)\s+(.*)$') {
        $level = $Matches[1]
        $fields['message'] = ($Matches[2] -split '\s+\w+=', 2)[0]
        foreach ($field in [regex]::Matches($Matches[2], '(\w+)=("[^"]*"|\S+)')) {
            $fields[$field.Groups[1].Value] = $field.Groups[2].Value.Trim([char] 34)
        }
    }
    else {
        return $null
    }
    @{
        Level   = $level.ToUpperInvariant()
        Message = Format-CommercePolicyLogMessage -Fields $fields
        Text    = $fields['message']
        Failure   = $fields.ContainsKey('exitCode')
        ForPerson = $forPerson
    }
}

function Format-CommercePolicyLogMessage {
    <#
    .SYNOPSIS
    The message of a log line: a request as 'GET /v1.0/...: 200 after 1 attempt(s) (correlation
    id ...)', any other line as its message and fields.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [hashtable]
        $Fields
    )

    $complete = $true
    foreach ($name in $script:RequestLogFields) {
        if (-not $Fields.ContainsKey($name)) {
            $complete = $false
        }
    }
    if ($Fields['message'] -eq 'request' -and $complete) {
        $status = $Fields['status']
        if ($status -eq '0') {
            $status = 'no answer'
        }
        return ('{0} {1}: {2} after {3} attempt(s) (correlation id {4})' -f $Fields['method'], $Fields['path'], $status, $Fields['attempts'], $Fields['correlation_id'])
    }
    $details = New-Object System.Collections.Generic.List[string]
    foreach ($name in ($Fields.Keys | Sort-Object)) {
        if (@('message', 'level', 'timestamp', 'target', 'span', 'spans', 'threadId', 'threadName', 'exitCode') -notcontains $name) {
            $details.Add(('{0}={1}' -f $name, $Fields[$name]))
        }
    }
    if ($details.Count -eq 0) {
        return $Fields['message']
    }
    '{0} ({1})' -f $Fields['message'], ($details -join ', ')
}
