# Update-MSCommerceProductPolicy's wanted value, from -Value or from MSCommerce's -Enabled.

function ConvertTo-CommercePolicyWantedValue {
    <#
    .SYNOPSIS
    Enabled, Disabled or OnlyTrialsWithoutPaymentMethod; or, for an -Enabled that is neither
    true nor false, a non-terminating InvalidArgument error record of the cmdlet and $null (as
    MSCommerce wrote an error and went on with the next call).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet]
        $Cmdlet,

        [Parameter(Mandatory = $true)]
        [System.Collections.IDictionary]
        $BoundParameters,

        [Parameter()]
        [AllowNull()]
        [AllowEmptyString()]
        [string]
        $Value,

        [Parameter()]
        [AllowNull()]
        [AllowEmptyString()]
        [string]
        $Enabled
    )

    if (-not (@($BoundParameters.Keys) -contains 'Enabled')) {
        return $Value
    }
    # $true and $false bind to a [string] parameter as 'True' and 'False'.
    if ($Enabled -eq 'True') {
        return 'Enabled'
    }
    if ($Enabled -eq 'False') {
        return 'Disabled'
    }
    $message = "-Enabled '{0}' is neither `$true nor `$false: nothing was changed for this call." -f $Enabled
    $exception = New-Object System.ArgumentException -ArgumentList $message, 'Enabled'
    $record = New-Object System.Management.Automation.ErrorRecord -ArgumentList @(
        $exception, 'CommercePolicyInvalidEnabled', [System.Management.Automation.ErrorCategory]::InvalidArgument, $Enabled)
    $Cmdlet.WriteError($record)
    $null
}
