# What Connect-MSCommerce's default parameter set asks the binary for: no sign-in (-Endpoint
# alone), a device code, or a browser sign-in where a desktop session can show one; and what it
# says about the connection it got.

# Parameters of Connect-MSCommerce's default set that ask for a sign-in even with -Endpoint:
# -Endpoint with none of them only chooses where the cmdlets go.
$script:SignInParameterNames = @('DeviceCode', 'TenantId', 'ClientId', 'Resource', 'Environment')

function Get-CommercePolicyPersonSignIn {
    <#
    .SYNOPSIS
    The implied or given flag of Connect-MSCommerce's DeviceCode set: 'NoSignIn' for -Endpoint
    alone, 'DeviceCode' when asked for or without a desktop session, else 'Browser'.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [System.Collections.IDictionary]
        $BoundParameters
    )

    # (A loop, not Where-Object: in its script block $PSBoundParameters would be its own, empty.)
    $signInNamed = $false
    foreach ($name in $script:SignInParameterNames) {
        if (@($BoundParameters.Keys) -contains $name) {
            $signInNamed = $true
        }
    }
    if ((@($BoundParameters.Keys) -contains 'Endpoint') -and $BoundParameters['Endpoint'] -ne 'microsoft' -and -not $signInNamed) {
        return 'NoSignIn'
    }
    if ((@($BoundParameters.Keys) -contains 'DeviceCode') -or -not (Test-CommercePolicyDesktopSession)) {
        return 'DeviceCode'
    }
    'Browser'
}

function Test-CommercePolicyDesktopSession {
    <#
    .SYNOPSIS
    Whether a browser opened here would be seen by the person at this session: an interactive
    Windows session, macOS, or Linux with DISPLAY or WAYLAND_DISPLAY; never over SSH or
    PowerShell remoting, where the browser would open on a screen nobody watches.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param(
    )

    if ($null -ne $PSSenderInfo -or -not [string]::IsNullOrEmpty($env:SSH_CONNECTION)) {
        return $false
    }
    if ([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) {
        return [System.Environment]::UserInteractive
    }
    if ([System.Runtime.InteropServices.RuntimeInformation]::IsOSPlatform([System.Runtime.InteropServices.OSPlatform]::OSX)) {
        return $true
    }
    -not ([string]::IsNullOrEmpty($env:DISPLAY) -and [string]::IsNullOrEmpty($env:WAYLAND_DISPLAY))
}

function Write-CommercePolicyConnection {
    <#
    .SYNOPSIS
    Says where Connect-MSCommerce connected (verbose), and warns when later cmdlets will not be
    signed in: no credential store kept the sign-in and the binary says it does not renew
    without the person (its Renewable field). -NeedsNoStore: a token that this session keeps, or
    no sign-in at all.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [object]
        $Connection,

        [Parameter()]
        [switch]
        $NeedsNoStore
    )

    $account = ''
    if ($null -ne $Connection.Account) {
        $account = ' as {0}' -f $Connection.Account
    }
    if ([string] $Connection.SignIn -eq 'None') {
        Write-Verbose ('Every cmdlet now goes to {0}, without a sign-in.' -f $Connection.Endpoint)
    }
    else {
        Write-Verbose ('Connected to tenant {0} ({1}, {2}){3} with {4}; the token is valid until {5}. Every cmdlet now goes there.' -f
            $Connection.TenantId, $Connection.Environment, $Connection.Endpoint, $account, $Connection.SignIn, $Connection.ExpiresOn)
    }
    $renewable = $null -ne $Connection.PSObject.Properties['Renewable'] -and $Connection.Renewable -eq $true
    if (-not $NeedsNoStore -and $null -eq $Connection.CredentialStore -and -not $renewable) {
        Write-Warning (('No credential store is usable on this machine, so the {0} sign-in was not kept and does not renew by itself: later cmdlets are not signed in. ' +
            'Use -AccessToken, -ManagedIdentity or -FederatedTokenFile here, or give the binary its secret in ' +
            'COMMERCE_POLICY_CLIENT_SECRET or COMMERCE_POLICY_CERTIFICATE_PASSWORD.') -f $Connection.SignIn)
    }
}
