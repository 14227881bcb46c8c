# Turning the binary's answer into objects and error records: the JSON it printed, typed by the
# command table; each failed result an error record; a failed exit without a failed result one
# error record; the binary's own lines warnings or error messages.

function ConvertFrom-CommercePolicyOutput {
    <#
    .SYNOPSIS
    Writes what one run of the binary answered: objects, "What if:" lines, text, error records.

    .DESCRIPTION
    - each JSON object it printed, with the entry's type name (DateProperties as
      [System.DateTimeOffset]); or, for an entry whose Output is 'Text', the text it printed;
    - each result that failed (it carries an ExitCode: Failed, Conflict, or a change that
      --what-if knows would be refused) as an error record, in place of the object, or also as
      the object for an entry with KeepFailed;
    - a non-zero exit that is no answer (AnswerCodes) and that no failed result explains, JSON
      or not, as one error record whose message is the binary's line;
    - the binary's 'commerce-policy: ' lines of a run that succeeded as warnings (such as the
      embedded local store chosen for want of a connection).
    -Preview turns each change into a "What if:" line instead of writing it; unchanged products
    get none.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet]
        $Cmdlet,

        [Parameter(Mandatory = $true)]
        [System.Collections.IDictionary]
        $Entry,

        [Parameter(Mandatory = $true)]
        [hashtable]
        $Run,

        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [System.Collections.Generic.List[string]]
        $Messages,

        [Parameter()]
        [object]
        $TargetObject,

        [Parameter()]
        [switch]
        $Preview
    )

    $failed = $Run.ExitCode -ne 0 -and @($Entry.AnswerCodes) -notcontains $Run.ExitCode
    if (-not $failed) {
        foreach ($message in $Messages) {
            Write-Warning $message
        }
    }

    $items = $null
    $text = $Run.StandardOutput.Trim()
    if ($Entry.Output -eq 'Text') {
        if (-not $failed) {
            Write-CommercePolicyText -Text $Run.StandardOutput
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

    $explained = $false
    foreach ($item in @($items)) {
        if ($null -eq $item) {
            continue
        }
        $code = Get-CommercePolicyFailureCode -Item $item
        if ($null -ne $code) {
            $explained = $true
        }
        Write-CommercePolicyItem -Cmdlet $Cmdlet -Entry $Entry -Item $item -FailureCode $code -Preview:$Preview
    }
    if (-not $failed) {
        return
    }
    if ($explained) {
        # A batch with failures still prints every result; its summary line repeats them.
        foreach ($message in $Messages) {
            Write-Verbose $message
        }
        return
    }
    $message = 'commerce-policy exited with code {0}' -f $Run.ExitCode
    if ($Messages.Count -gt 0) {
        $message = $Messages -join ' '
    }
    $action = $null
    if ($Run.ExitCode -eq 3 -and $Entry.RequireConnection) {
        # The MSCommerce-named cmdlets fail as MSCommerce does without Connect-MSCommerce.
        $action = $script:ModuleData.NotConnectedAction
        if ($message -notmatch 'Connect-MSCommerce') {
            $message = '{0} {1}' -f $message, $action
        }
    }
    $Cmdlet.WriteError((New-CommercePolicyErrorRecord -Message $message -ExitCode $Run.ExitCode -TargetObject $TargetObject -RecommendedAction $action))
}

function Write-CommercePolicyItem {
    <#
    .SYNOPSIS
    Writes one JSON object of the binary, typed; a failed result (-FailureCode) as an error
    record.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet]
        $Cmdlet,

        [Parameter(Mandatory = $true)]
        [System.Collections.IDictionary]
        $Entry,

        [Parameter(Mandatory = $true)]
        [object]
        $Item,

        [Parameter()]
        [AllowNull()]
        [object]
        $FailureCode,

        [Parameter()]
        [switch]
        $Preview
    )

    $properties = $Item.PSObject.Properties
    # Products carry ProductId; offer types (and other scopes) ScopeId.
    $id = Get-CommercePolicyProperty -InputObject $Item -Name 'ProductId', 'ScopeId'
    if ($null -ne $properties['CorrelationId'] -and $null -ne $Item.CorrelationId) {
        if ($null -ne $id) {
            Write-Verbose ('{0}: {1} (correlation id {2})' -f $id, $Item.Status, $Item.CorrelationId)
        }
        else {
            # An administration outcome: the whole operation has one correlation id.
            Write-Verbose ('correlation id {0}' -f $Item.CorrelationId)
        }
    }
    $typeName = $Entry.TypeName
    if ($null -ne $Entry.ScopeTypeName -and $null -ne $properties['Scope']) {
        $typeName = $Entry.ScopeTypeName
    }
    if (-not [string]::IsNullOrEmpty($typeName)) {
        $Item.PSObject.TypeNames.Insert(0, $typeName)
    }
    foreach ($name in @($Entry.DateProperties)) {
        if ($null -ne $name -and $null -ne $properties[$name]) {
            $Item.$name = ConvertTo-CommercePolicyDate -Value $Item.$name
        }
    }

    if ($null -ne $FailureCode) {
        $message = '{0}: {1}' -f $id, $Item.Error
        $Cmdlet.WriteError((New-CommercePolicyErrorRecord -Message $message -ExitCode ([int] $FailureCode) -TargetObject $id))
        if ($Preview -or -not $Entry.KeepFailed) {
            return
        }
    }
    if ($Preview) {
        Write-CommercePolicyWhatIf -Cmdlet $Cmdlet -Change $Item
        return
    }
    $Item
}

function Get-CommercePolicyFailureCode {
    <#
    .SYNOPSIS
    The exit code of a result that failed, or $null: the binary gives every failed result the
    exit code its failure calls for; a Failed or Conflict result without one counts as 1.
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param(
        [Parameter(Mandatory = $true)]
        [object]
        $Item
    )

    $code = Get-CommercePolicyProperty -InputObject $Item -Name 'ExitCode'
    if ($null -eq $code -and @('Failed', 'Conflict') -contains (Get-CommercePolicyProperty -InputObject $Item -Name 'Status')) {
        $code = 1
    }
    if ($null -ne $code) {
        [int] $code
    }
}

function ConvertTo-CommercePolicyDate {
    <#
    .SYNOPSIS
    A time of the binary's JSON as a [System.DateTimeOffset]: PowerShell 7's ConvertFrom-Json
    makes a DateTime of an ISO 8601 string, Windows PowerShell 5.1 leaves the string.
    #>
    [CmdletBinding()]
    [OutputType([System.DateTimeOffset])]
    param(
        [Parameter()]
        [AllowNull()]
        [object]
        $Value
    )

    if ($null -eq $Value -or ($Value -is [string] -and $Value.Length -eq 0)) {
        return $null
    }
    if ($Value -is [System.DateTimeOffset]) {
        return $Value
    }
    if ($Value -is [System.DateTime]) {
        return (New-Object System.DateTimeOffset -ArgumentList $Value.ToUniversalTime())
    }
    [System.DateTimeOffset]::Parse([string] $Value, [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::AssumeUniversal)
}

function Write-CommercePolicyWhatIf {
    <#
    .SYNOPSIS
    Turns one change that the binary would make into a "What if:" line of the cmdlet; a product
    that would stay as it is gets none (-WhatIf shows only what would change).

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

    if ($null -ne $Change.PSObject.Properties['Moved']) {
        Write-CommercePolicyOutcomeWhatIf -Cmdlet $Cmdlet -Outcome $Change
        return
    }
    $name = Get-CommercePolicyProperty -InputObject $Change -Name 'ProductName', 'ScopeValue'
    $id = Get-CommercePolicyProperty -InputObject $Change -Name 'ProductId', 'ScopeId'
    $from = Get-CommercePolicyProperty -InputObject $Change -Name 'PreviousValue', 'CurrentValue'
    $to = Get-CommercePolicyProperty -InputObject $Change -Name 'PolicyValue', 'WantedValue'
    if ((Get-CommercePolicyProperty -InputObject $Change -Name 'Status') -eq 'Unchanged' -or $from -eq $to) {
        Write-Verbose ('{0} ({1}): {2} stays {3}' -f $name, $id, $Change.PolicyId, $from)
        return
    }
    $action = 'Set {0} from {1} to {2}' -f $Change.PolicyId, $from, $to
    $source = Get-CommercePolicyProperty -InputObject $Change -Name 'Source'
    if ($null -ne $source) {
        $action = '{0} ({1} in the baseline)' -f $action, ([string] $source).ToLowerInvariant()
    }
    [void] $Cmdlet.ShouldProcess(('{0} ({1})' -f $name, $id), $action)
}

function Write-CommercePolicyOutcomeWhatIf {
    <#
    .SYNOPSIS
    Turns what an administration command would do (the outcome that take-over, cancel and
    centralize answer --what-if with) into "What if:" lines: one per license that would move,
    subscription that would be cancelled, and mail that would be sent.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet]
        $Cmdlet,

        [Parameter(Mandatory = $true)]
        [object]
        $Outcome
    )

    foreach ($move in @($Outcome.Moved)) {
        if ($null -ne $move) {
            [void] $Cmdlet.ShouldProcess($move.UserPrincipalName, ('Move the license from subscription {0} to subscription {1}' -f $move.From, $move.To))
        }
    }
    foreach ($subscription in @($Outcome.Cancelled)) {
        if ($null -ne $subscription) {
            [void] $Cmdlet.ShouldProcess(('subscription {0}' -f $subscription), 'Cancel the subscription')
        }
    }
    foreach ($mail in @($Outcome.Notifications)) {
        if ($null -ne $mail) {
            [void] $Cmdlet.ShouldProcess($mail.Recipient, ('Send the mail "{0}"' -f $mail.Subject))
        }
    }
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

function New-CommercePolicyErrorRecord {
    <#
    .SYNOPSIS
    An error record for a failure of the binary: its exit code chooses the id, the category and
    the type of the exception under it (ExitCodes of CommercePolicy.Commands.psd1).
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
        $TargetObject,

        [Parameter()]
        [AllowNull()]
        [string]
        $RecommendedAction
    )

    $kind = $script:ExitCodeErrors[$ExitCode]
    if ($null -eq $kind) {
        $kind = $script:ExitCodeErrors[1]
    }
    $exception = New-Object -TypeName $kind.Exception -ArgumentList $Message
    $category = [System.Management.Automation.ErrorCategory] $kind.Category
    $record = New-Object System.Management.Automation.ErrorRecord -ArgumentList @($exception, $kind.ErrorId, $category, $TargetObject)

    # The binary ends its line with what to do, after an em dash.
    $dash = ' {0} ' -f [char] 0x2014
    $at = $Message.LastIndexOf($dash)
    if ([string]::IsNullOrEmpty($RecommendedAction) -and $at -ge 0) {
        $RecommendedAction = $Message.Substring($at + $dash.Length)
    }
    if (-not [string]::IsNullOrEmpty($RecommendedAction)) {
        $details = New-Object System.Management.Automation.ErrorDetails -ArgumentList $Message
        $details.RecommendedAction = $RecommendedAction
        $record.ErrorDetails = $details
    }
    if ($Message -match '\(correlation id ([0-9A-Fa-f-]+)\)') {
        Write-Verbose ('correlation id {0}' -f $Matches[1])
    }
    $record
}
