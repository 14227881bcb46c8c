# CommercePolicy: MSCommerce's cmdlets over the commerce-policy binary, and the self-service
# purchase administration's cmdlets over its administration commands.
#
# The binary owns all logic (HTTP, sign-in, retries, validation, batching, where commands go).
# This module binds parameters, runs the binary's subcommand with --output json, and turns its
# answer into typed objects and error records. Every cmdlet is the same small shape, as
# Crescendo generates them: one entry of data in CommercePolicy.Commands.psd1 (the cmdlet, its
# subcommand, each parameter's flag), one file in Public/, and one call to the shared
# Invoke-CommercePolicyCommand (Private/), which builds the call (New-CommercePolicyCall), runs
# the process (Invoke-CommercePolicyProcess) and turns its output into objects and error records
# (ConvertFrom-CommercePolicyOutput).

$script:ModuleRoot = $PSScriptRoot

# The command table and the rest of the module's data, read once.
$script:ModuleData = Import-PowerShellDataFile -Path (Join-Path $PSScriptRoot 'CommercePolicy.Commands.psd1')
$script:CommandTable = $script:ModuleData.Commands
$script:InvariantFlags = $script:ModuleData.InvariantFlags
$script:SessionParameters = $script:ModuleData.SessionParameters
$script:ExitCodeErrors = $script:ModuleData.ExitCodes
$script:DriftExitCode = $script:ModuleData.DriftExitCode

# What Connect-MSCommerce keeps for this session (MSCommerce kept its token in a session
# variable): only a ready token and the endpoint it was given for, mapped by
# $script:SessionParameters onto global flags of the binary.
$script:Session = @{}

# Product and policy ids for tab completion, per endpoint and policy; cleared by Connect,
# Disconnect and Update.
$script:CompletionCache = @{}

foreach ($folder in @('Private', 'Public')) {
    foreach ($file in (Get-ChildItem -Path (Join-Path $PSScriptRoot $folder) -Filter '*.ps1' | Sort-Object -Property Name)) {
        . $file.FullName
    }
}

# Each file of Public/ holds the cmdlet it is named after; nothing else leaves the module.
$publicFunctions = @(Get-ChildItem -Path (Join-Path $PSScriptRoot 'Public') -Filter '*.ps1' | ForEach-Object { $_.BaseName })

Register-ArgumentCompleter -CommandName @('Get-MSCommercePolicy', 'Get-MSCommerceProductPolicies', 'Get-MSCommerceProductPolicy', 'Update-MSCommerceProductPolicy', 'Export-CommercePolicyBaseline') -ParameterName 'PolicyId' -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    Get-CommercePolicyCompletion -Kind 'PolicyId' -WordToComplete $wordToComplete -FakeBoundParameters $fakeBoundParameters -ErrorAction Ignore -WarningAction Ignore -InformationAction Ignore
}

Register-ArgumentCompleter -CommandName @('Get-MSCommerceProductPolicy', 'Update-MSCommerceProductPolicy', 'Get-CommerceSelfServiceSubscription', 'Get-CommerceSelfServiceLicense', 'Invoke-CommerceLicenseCentralization', 'New-CommerceSelfServicePurchase', 'New-CommerceSubscription') -ParameterName 'ProductId' -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    Get-CommercePolicyCompletion -Kind 'ProductId' -WordToComplete $wordToComplete -FakeBoundParameters $fakeBoundParameters -ErrorAction Ignore -WarningAction Ignore -InformationAction Ignore
}

Register-ArgumentCompleter -CommandName @('Get-MSCommerceProductPolicy', 'Update-MSCommerceProductPolicy') -ParameterName 'OfferType' -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    Get-CommercePolicyCompletion -Kind 'OfferType' -WordToComplete $wordToComplete -FakeBoundParameters $fakeBoundParameters -ErrorAction Ignore -WarningAction Ignore -InformationAction Ignore
}

# Subscription ids of the administration cmdlets: the active subscriptions, self-service and
# central, with their product and purchaser as tooltips.
Register-ArgumentCompleter -CommandName @('Get-CommerceSelfServiceSubscription', 'Export-CommerceSelfServiceUser', 'Move-CommerceSelfServiceUser', 'Stop-CommerceSelfServiceSubscription', 'Add-CommerceLicenseAssignment', 'Remove-CommerceLicenseAssignment') -ParameterName 'SubscriptionId' -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    Get-CommercePolicyCompletion -Kind 'SubscriptionId' -WordToComplete $wordToComplete -FakeBoundParameters $fakeBoundParameters -ErrorAction Ignore -WarningAction Ignore -InformationAction Ignore
}

Register-ArgumentCompleter -CommandName @('Move-CommerceSelfServiceUser', 'Invoke-CommerceLicenseCentralization') -ParameterName 'TargetSubscriptionId' -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    Get-CommercePolicyCompletion -Kind 'SubscriptionId' -WordToComplete $wordToComplete -FakeBoundParameters $fakeBoundParameters -ErrorAction Ignore -WarningAction Ignore -InformationAction Ignore
}

Export-ModuleMember -Function $publicFunctions
