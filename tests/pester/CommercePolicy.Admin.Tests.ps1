#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }

# The self-service purchase administration cmdlets against a live 'commerce-policy serve' on a
# loopback port (no sign-in, so -As names the user who acts), over a store in Pester's TestDrive:
# users, a purchase governed by the policy, subscriptions, licenses, the export, take-over by
# move (through the pipeline, with -WhatIf) and by cancel, the purchaser's own cancel,
# centralization, mails to purchasers, errors and completion.

BeforeAll {
    $repoRoot = (Resolve-Path (Join-Path (Join-Path $PSScriptRoot '..') '..')).Path
    . (Join-Path $PSScriptRoot 'TestService.ps1')
    Initialize-CommercePolicyTestEnvironment -RepoRoot $repoRoot -DataFolder (Join-Path $TestDrive 'data')
    $script:service = Start-CommercePolicyTestService -StorePath (Join-Path $TestDrive 'admin.db')

    Import-Module (Join-Path (Join-Path (Join-Path $repoRoot 'module') 'CommercePolicy') 'CommercePolicy.psd1') -Force
    Connect-MSCommerce -Endpoint $script:service.Endpoint
    # Clipchamp Premium: sold self-service, Enabled in the seeded catalogue.
    $script:product = 'CFQ7TTC0N8SS'

    New-CommerceUser -UserPrincipalName ann@contoso.com -DisplayName 'Ann Smith' -Mail ann@contoso.com -Confirm:$false | Out-Null
    New-CommerceUser -UserPrincipalName bob@contoso.com -DisplayName 'Bob, Jr.' -Confirm:$false | Out-Null
    New-CommerceUser -UserPrincipalName cid@contoso.com -DisplayName 'Cid' -Mail cid@contoso.com -Confirm:$false | Out-Null

    function New-AdminTestPurchase {
        # A self-service purchase of three licenses by Ann, with Ann and Bob holding one each.
        $bought = New-CommerceSelfServicePurchase -ProductId $script:product -Quantity 3 -As ann@contoso.com -Confirm:$false
        Add-CommerceLicenseAssignment -SubscriptionId $bought.SubscriptionId -UserPrincipalName ann@contoso.com, bob@contoso.com -As ann@contoso.com -Confirm:$false | Out-Null
        $bought
    }
}

AfterAll {
    Remove-Module CommercePolicy -ErrorAction SilentlyContinue
    Stop-CommercePolicyTestService -Service $script:service
}

Describe 'Users' {
    It 'lists the directory as CommercePolicy.User objects' {
        $users = @(Get-CommerceUser)
        $users.UserPrincipalName | Should -Contain 'bob@contoso.com'
        $users[0].PSObject.TypeNames[0] | Should -Be 'CommercePolicy.User'
    }

    It 'imports a CSV file, relative to the PowerShell location' {
        Push-Location $TestDrive
        try {
            Set-Content -Path 'users.csv' -Value @('upn,displayName,mail', 'dee@contoso.com,Dee,') -Encoding UTF8
            $imported = @(Import-CommerceUser -Path 'users.csv' -Confirm:$false)
            $imported.UserPrincipalName | Should -Be @('dee@contoso.com')
        }
        finally {
            Pop-Location
        }
    }

    It 'adds nobody under -WhatIf' {
        New-CommerceUser -UserPrincipalName eve@contoso.com -DisplayName 'Eve' -WhatIf
        (Get-CommerceUser).UserPrincipalName | Should -Not -Contain 'eve@contoso.com'
    }
}

Describe 'Purchases and subscriptions' {
    It 'buys as a user and lists the purchase as the admin, with dates as DateTimeOffset' {
        $bought = New-AdminTestPurchase
        $bought.PSObject.TypeNames[0] | Should -Be 'CommercePolicy.Subscription'
        $listed = Get-CommerceSelfServiceSubscription -SelfService -Purchaser ann@contoso.com | Where-Object SubscriptionId -eq $bought.SubscriptionId
        $listed.ProductName | Should -Be 'Clipchamp Premium'
        $listed.AssignedUsers | Should -Be @('ann@contoso.com', 'bob@contoso.com')
        $listed.ExpiresOn | Should -BeOfType [System.DateTimeOffset]
        (Get-CommerceSelfServiceSubscription -SubscriptionId $bought.SubscriptionId).Status | Should -Be 'Active'
    }

    It 'refuses a purchase that the policy disables, as PermissionDenied' {
        Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId $script:product -Value Disabled | Out-Null
        try {
            $errors = $null
            New-CommerceSelfServicePurchase -ProductId $script:product -Quantity 1 -As cid@contoso.com -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable errors | Should -BeNullOrEmpty
            $errors[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
            $errors[0].Exception.Message | Should -Match 'AllowSelfServicePurchase'
        }
        finally {
            Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId $script:product -Value Enabled | Out-Null
        }
    }

    It 'reads an unknown subscription as ObjectNotFound' {
        { Get-CommerceSelfServiceSubscription -SubscriptionId ([guid]::NewGuid().ToString()) -ErrorAction Stop } | Should -Throw -ErrorId 'CommercePolicyNotFound,Get-CommerceSelfServiceSubscription'
    }

    It 'refuses an admin assigning licenses of a user''s purchase, as PermissionDenied' {
        $bought = New-AdminTestPurchase
        { Add-CommerceLicenseAssignment -SubscriptionId $bought.SubscriptionId -UserPrincipalName cid@contoso.com -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'CommercePolicyForbidden,Add-CommerceLicenseAssignment'
    }
}

Describe 'Licenses and the export' {
    It 'lists one row per product with the users by purchaser' {
        New-AdminTestPurchase | Out-Null
        $row = Get-CommerceSelfServiceLicense -SelfService -ProductId $script:product
        @($row).Count | Should -Be 1
        $row.PSObject.TypeNames[0] | Should -Be 'CommercePolicy.License'
        ($row.Purchasers | Where-Object UserPrincipalName -eq 'ann@contoso.com').Users | Should -Contain 'bob@contoso.com'
    }

    It 'exports piped subscriptions as objects, and as a CSV file with -Path' {
        $bought = New-AdminTestPurchase
        $holders = @($bought | Export-CommerceSelfServiceUser)
        $holders.UserPrincipalName | Should -Be @('ann@contoso.com', 'bob@contoso.com')
        $holders[0].PSObject.TypeNames[0] | Should -Be 'CommercePolicy.LicenseHolder'

        $file = Join-Path $TestDrive 'holders.csv'
        $bought | Export-CommerceSelfServiceUser -Path $file | Should -BeNullOrEmpty
        [System.IO.File]::ReadAllBytes($file)[0..2] | Should -Be @(0xEF, 0xBB, 0xBF)
        (Import-Csv -Path $file).DisplayName | Should -Contain 'Bob, Jr.'
    }
}

Describe 'Take-over' {
    BeforeEach {
        $script:central = New-CommerceSubscription -ProductId $script:product -Quantity 2 -Confirm:$false
    }

    It 'changes nothing for piped subscriptions under -WhatIf' {
        $bought = New-AdminTestPurchase
        $bought | Move-CommerceSelfServiceUser -TargetSubscriptionId $script:central.SubscriptionId -WhatIf | Should -BeNullOrEmpty
        (Get-CommerceSelfServiceSubscription -SubscriptionId $bought.SubscriptionId).Status | Should -Be 'Active'
        Get-CommerceNotification | Where-Object SubscriptionId -eq $bought.SubscriptionId | Should -BeNullOrEmpty
    }

    It 'moves the users of a piped subscription, cancels it and mails its purchaser' {
        $bought = New-AdminTestPurchase
        $outcome = Get-CommerceSelfServiceSubscription -SubscriptionId $bought.SubscriptionId | Move-CommerceSelfServiceUser -TargetSubscriptionId $script:central.SubscriptionId -Confirm:$false
        $outcome.PSObject.TypeNames[0] | Should -Be 'CommercePolicy.Outcome'
        $outcome.Moved.UserPrincipalName | Should -Be @('ann@contoso.com', 'bob@contoso.com')
        (Get-CommerceSelfServiceSubscription -SubscriptionId $bought.SubscriptionId).Status | Should -Be 'Deleted'
        $mail = Get-CommerceNotification | Where-Object SubscriptionId -eq $bought.SubscriptionId
        $mail.Kind | Should -Be 'Moved'
        $mail.Recipient | Should -Be 'ann@contoso.com'
        $mail.PSObject.TypeNames[0] | Should -Be 'CommercePolicy.Notification'
    }

    It 'refuses a move that lacks licenses as ResourceBusy, changing nothing' {
        $small = New-CommerceSubscription -ProductId $script:product -Quantity 1 -Confirm:$false
        $bought = New-AdminTestPurchase
        { Move-CommerceSelfServiceUser -SubscriptionId $bought.SubscriptionId -TargetSubscriptionId $small.SubscriptionId -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'CommercePolicyConflict,Move-CommerceSelfServiceUser'
        (Get-CommerceSelfServiceSubscription -SubscriptionId $bought.SubscriptionId).Status | Should -Be 'Active'
    }

    It 'cancels as an admin with a reason, and refuses Other without words' {
        $bought = New-AdminTestPurchase
        { Stop-CommerceSelfServiceSubscription -SubscriptionId $bought.SubscriptionId -Reason Other -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'CommercePolicyBadRequest,Stop-CommerceSelfServiceSubscription'
        $outcome = Stop-CommerceSelfServiceSubscription -SubscriptionId $bought.SubscriptionId -Reason BoughtCentrally -Confirm:$false
        $outcome.Cancelled | Should -Be @($bought.SubscriptionId)
        (Get-CommerceSelfServiceSubscription -SubscriptionId $bought.SubscriptionId).AssignedUsers | Should -BeNullOrEmpty
    }

    It 'cancels as the purchaser with -AsPurchaser, and not under -WhatIf' {
        $bought = New-AdminTestPurchase
        Stop-CommerceSelfServiceSubscription -SubscriptionId $bought.SubscriptionId -AsPurchaser -As ann@contoso.com -WhatIf
        (Get-CommerceSelfServiceSubscription -SubscriptionId $bought.SubscriptionId).Status | Should -Be 'Active'
        Stop-CommerceSelfServiceSubscription -SubscriptionId $bought.SubscriptionId -AsPurchaser -As ann@contoso.com -Reason NoLongerNeeded -Confirm:$false | Out-Null
        (Get-CommerceSelfServiceSubscription -SubscriptionId $bought.SubscriptionId).Status | Should -Be 'Deleted'
    }
}

Describe 'Centralization' {
    It 'licenses the self-service users centrally and asks the purchasers to cancel' {
        $product = 'CFQ7TTC0LH3N'
        Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId $product -Value Enabled | Out-Null
        $bought = New-CommerceSelfServicePurchase -ProductId $product -Quantity 1 -As cid@contoso.com -Confirm:$false
        Add-CommerceLicenseAssignment -SubscriptionId $bought.SubscriptionId -UserPrincipalName cid@contoso.com -As cid@contoso.com -Confirm:$false | Out-Null
        $central = New-CommerceSubscription -ProductId $product -Quantity 5 -Confirm:$false

        Invoke-CommerceLicenseCentralization -ProductId $product -TargetSubscriptionId $central.SubscriptionId -WhatIf | Should -BeNullOrEmpty
        (Get-CommerceSelfServiceSubscription -SubscriptionId $central.SubscriptionId).AssignedLicenses | Should -Be 0

        $outcome = Invoke-CommerceLicenseCentralization -ProductId $product -TargetSubscriptionId $central.SubscriptionId -Confirm:$false
        $outcome.Moved.UserPrincipalName | Should -Be @('cid@contoso.com')
        (Get-CommerceNotification | Where-Object SubscriptionId -eq $bought.SubscriptionId).Kind | Should -Be 'AskedToCancel'
        (Get-CommerceSelfServiceSubscription -SubscriptionId $bought.SubscriptionId).Status | Should -Be 'Active'
    }
}

Describe 'Tab completion of subscription ids' {
    It 'completes the active subscriptions with product and purchaser as tooltips' {
        $bought = New-AdminTestPurchase
        $line = 'Move-CommerceSelfServiceUser -SubscriptionId {0}' -f $bought.SubscriptionId.Substring(0, 8)
        $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $match = $completion.CompletionMatches | Where-Object CompletionText -eq $bought.SubscriptionId
        $match.ToolTip | Should -Be 'Clipchamp Premium, bought by ann@contoso.com'
    }
}
