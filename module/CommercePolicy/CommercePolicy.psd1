# Module manifest of CommercePolicy: MSCommerce's cmdlets over the commerce-policy binary.
# ModuleVersion follows the workspace version in Cargo.toml (the contract test checks it).
@{
    RootModule           = 'CommercePolicy.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = 'f3011caf-8bcd-476f-942a-f597828adf4d'
    Author               = 'commerce-policy contributors'
    CompanyName          = 'commerce-policy'
    Copyright            = '(c) commerce-policy contributors. MIT License.'
    Description          = 'Read and change Microsoft 365 self-service purchase policies (AllowSelfServicePurchase) with the MSCommerce cmdlets, and administer self-service purchases on a commerce-policy service (subscriptions, who holds licenses, export, take-over by move or cancel, centralize, mails to purchasers), on PowerShell 7 on Windows, Linux and macOS and on Windows PowerShell 5.1: pipeline input, one batched call for many products, -WhatIf, error records with categories, tab completion; and policy as code: test, apply and export baseline files. A thin layer over the commerce-policy binary, which it ships.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Core', 'Desktop')
    FormatsToProcess     = @('CommercePolicy.Format.ps1xml')
    # Every file of the module (the contract test and scripts/package-module.sh hold the folder
    # to it): the root module loads Private/*.ps1 and Public/*.ps1, one public cmdlet per file.
    FileList             = @(
        'CommercePolicy.Commands.psd1'
        'CommercePolicy.Format.ps1xml'
        'CommercePolicy.psd1'
        'CommercePolicy.psm1'
        'Private/ConvertFrom-CommercePolicyOutput.ps1'
        'Private/ConvertTo-CommercePolicyWantedValue.ps1'
        'Private/Find-CommercePolicyBinary.ps1'
        'Private/Get-CommercePolicyCompletion.ps1'
        'Private/Invoke-CommercePolicyCommand.ps1'
        'Private/Invoke-CommercePolicyLicenseBatch.ps1'
        'Private/Invoke-CommercePolicyProcess.ps1'
        'Private/New-CommercePolicyCall.ps1'
        'Private/Select-CommercePolicySignIn.ps1'
        'Private/Write-CommercePolicyStandardError.ps1'
        'Public/Add-CommerceLicenseAssignment.ps1'
        'Public/Connect-MSCommerce.ps1'
        'Public/Disconnect-MSCommerce.ps1'
        'Public/Export-CommercePolicyBaseline.ps1'
        'Public/Export-CommerceSelfServiceUser.ps1'
        'Public/Get-CommerceNotification.ps1'
        'Public/Get-CommerceSelfServiceLicense.ps1'
        'Public/Get-CommerceSelfServiceSubscription.ps1'
        'Public/Get-CommerceUser.ps1'
        'Public/Get-MSCommercePolicies.ps1'
        'Public/Get-MSCommercePolicy.ps1'
        'Public/Get-MSCommerceProductPolicies.ps1'
        'Public/Get-MSCommerceProductPolicy.ps1'
        'Public/Import-CommerceUser.ps1'
        'Public/Invoke-CommerceLicenseCentralization.ps1'
        'Public/Invoke-CommercePolicyBaseline.ps1'
        'Public/Move-CommerceSelfServiceUser.ps1'
        'Public/New-CommerceSelfServicePurchase.ps1'
        'Public/New-CommerceSubscription.ps1'
        'Public/New-CommerceUser.ps1'
        'Public/Remove-CommerceLicenseAssignment.ps1'
        'Public/Stop-CommerceSelfServiceSubscription.ps1'
        'Public/Test-CommercePolicyBaseline.ps1'
        'Public/Update-MSCommerceProductPolicy.ps1'
    )
    FunctionsToExport    = @(
        'Connect-MSCommerce'
        'Disconnect-MSCommerce'
        'Get-MSCommercePolicies'
        'Get-MSCommercePolicy'
        'Get-MSCommerceProductPolicies'
        'Get-MSCommerceProductPolicy'
        'Update-MSCommerceProductPolicy'
        'Test-CommercePolicyBaseline'
        'Invoke-CommercePolicyBaseline'
        'Export-CommercePolicyBaseline'
        'Get-CommerceSelfServiceSubscription'
        'Get-CommerceSelfServiceLicense'
        'Export-CommerceSelfServiceUser'
        'Move-CommerceSelfServiceUser'
        'Stop-CommerceSelfServiceSubscription'
        'Invoke-CommerceLicenseCentralization'
        'New-CommerceSelfServicePurchase'
        'New-CommerceSubscription'
        'Add-CommerceLicenseAssignment'
        'Remove-CommerceLicenseAssignment'
        'Get-CommerceUser'
        'New-CommerceUser'
        'Import-CommerceUser'
        'Get-CommerceNotification'
    )
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('MSCommerce', 'Microsoft365', 'M365', 'SelfServicePurchase', 'Subscriptions', 'AllowSelfServicePurchase', 'Licensing', 'Policy', 'PolicyAsCode', 'DesiredState', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS')
            ProjectUri   = 'https://github.com/commerce-policy/commerce-policy'
            LicenseUri   = 'https://github.com/commerce-policy/commerce-policy/blob/main/LICENSE'
            ReleaseNotes = '0.1.0: first release. The six MSCommerce 2.x cmdlets with their parameters, parameter sets and output properties, plus Disconnect-MSCommerce; pipeline input into Update-MSCommerceProductPolicy with one call of the binary for all products; -WhatIf showing current and wanted values; error records whose category follows the failure; tab completion of -PolicyId, -ProductId and -OfferType. Connect-MSCommerce signs in through the binary''s connect command, kept in the OS credential store: a person in the browser where a desktop session exists, else with a device code (the default, also with no parameters), client secret (a SecureString, passed on stdin; on Windows PowerShell in the child''s environment), certificate (PEM or PFX), managed identity, federated token file, or an access token; -Environment for GCC High, DoD and 21Vianet; -Endpoint alone chooses a service without signing in (connect --no-sign-in); the MSCommerce-named cmdlets never fall back to the embedded local store by themselves; -PassThru writes the connection. -CertificateThumbprint is accepted and says to export the certificate to a PFX. Disconnect-MSCommerce signs out through the binary''s disconnect command. Policy as code: Test-CommercePolicyBaseline (drift objects, or a Boolean with -Quiet), Invoke-CommercePolicyBaseline (apply a baseline file or a saved plan, with -WhatIf and -Confirm) and Export-CommercePolicyBaseline. Self-service purchase administration on a commerce-policy service: Get-CommerceSelfServiceSubscription, Get-CommerceSelfServiceLicense, Export-CommerceSelfServiceUser, Move-CommerceSelfServiceUser and Stop-CommerceSelfServiceSubscription (take-over, -WhatIf computed by the service), Invoke-CommerceLicenseCentralization, New-CommerceSelfServicePurchase, New-CommerceSubscription, Add-/Remove-CommerceLicenseAssignment, Get-/New-/Import-CommerceUser and Get-CommerceNotification.'
        }
    }
}
