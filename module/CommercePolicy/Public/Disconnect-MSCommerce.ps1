# Disconnect-MSCommerce: see its help below.

function Disconnect-MSCommerce {
    <#
    .SYNOPSIS
    Signs out: forgets the connection, its kept sign-in, and this session's endpoint and token.

    .DESCRIPTION
    Runs 'commerce-policy disconnect', which removes the tenant's tokens and secrets from the OS
    credential store and the saved connection from the data folder, and forgets the endpoint and
    token that Connect-MSCommerce kept for this PowerShell session. Afterwards the
    MSCommerce-named cmdlets fail with an AuthenticationError that says to run
    Connect-MSCommerce (unless $env:COMMERCE_POLICY_ENDPOINT names an endpoint), as MSCommerce
    did; they never fall back to the embedded local store by themselves. Disconnecting when not
    connected is not an error. -Verbose shows the binary's answer.

    .EXAMPLE
    Disconnect-MSCommerce

    .OUTPUTS
    None.

    .NOTES
    Binary: commerce-policy disconnect --output json

    .LINK
    Connect-MSCommerce
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param(
    )

    $script:Session = @{}
    $script:CompletionCache = @{}
    $answer = Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Disconnect-MSCommerce' -Parameters @{}
    if ($null -ne $answer) {
        Write-Verbose $answer.Message
    }
}
