#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }

# The CommercePolicy cmdlets against a live 'commerce-policy serve' on a loopback port, over a
# store in Pester's TestDrive: list, get, update, pipeline batch, -WhatIf, errors, completion, and
# the baseline cmdlets (test, apply, export).
# The binary is $env:COMMERCE_POLICY_BIN, else target/debug/commerce-policy (run.sh builds it).

BeforeAll {
    $repoRoot = (Resolve-Path (Join-Path (Join-Path $PSScriptRoot '..') '..')).Path
    . (Join-Path $PSScriptRoot 'TestService.ps1')
    Initialize-CommercePolicyTestEnvironment -RepoRoot $repoRoot -DataFolder (Join-Path $TestDrive 'data')
    $script:service = Start-CommercePolicyTestService -StorePath (Join-Path $TestDrive 'store.db')
    $script:endpoint = $script:service.Endpoint

    Import-Module (Join-Path (Join-Path (Join-Path $repoRoot 'module') 'CommercePolicy') 'CommercePolicy.psd1') -Force
    Connect-MSCommerce -Endpoint $script:endpoint
    $script:policy = 'AllowSelfServicePurchase'
}

AfterAll {
    Remove-Module CommercePolicy -ErrorAction SilentlyContinue
    Stop-CommercePolicyTestService -Service $script:service
}

Describe 'The module' {
    It 'has a valid manifest that exports the MSCommerce cmdlets' {
        $manifest = Test-ModuleManifest -Path (Join-Path (Join-Path (Join-Path (Join-Path $PSScriptRoot '..') '..') 'module') 'CommercePolicy/CommercePolicy.psd1')
        $manifest.ExportedFunctions.Keys | Should -Contain 'Update-MSCommerceProductPolicy'
        (Get-Command -Module CommercePolicy).Count | Should -Be 24
    }

    It 'has help with examples for every cmdlet' {
        foreach ($command in (Get-Command -Module CommercePolicy)) {
            @((Get-Help $command.Name -Examples).examples.example).Count | Should -BeGreaterThan 0 -Because $command.Name
        }
    }
}

Describe 'Get-MSCommercePolicies and Get-MSCommercePolicy' {
    It 'lists AllowSelfServicePurchase with MSCommerce properties and a type name' {
        $found = @(Get-MSCommercePolicies | Where-Object PolicyId -eq $script:policy)
        $found.Count | Should -Be 1
        $found[0].DefaultValue | Should -Be 'Enabled'
        $found[0].Description | Should -Not -BeNullOrEmpty
        $found[0].PSObject.TypeNames[0] | Should -Be 'CommercePolicy.Policy'
    }

    It 'reads one policy' {
        (Get-MSCommercePolicy -PolicyId $script:policy).PolicyId | Should -Be $script:policy
    }

    It 'turns an unknown policy into an ObjectNotFound error record with the binary line' {
        $errors = $null
        $result = Get-MSCommercePolicy -PolicyId 'NoSuchPolicy' -ErrorAction SilentlyContinue -ErrorVariable errors
        $result | Should -BeNullOrEmpty
        $errors.Count | Should -Be 1
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errors[0].FullyQualifiedErrorId | Should -Be 'CommercePolicyNotFound,Get-MSCommercePolicy'
        $errors[0].Exception.Message | Should -Match '^commerce-policy: .*correlation id'
    }

    It 'stops on the error with -ErrorAction Stop' {
        { Get-MSCommercePolicy -PolicyId 'NoSuchPolicy' -ErrorAction Stop } | Should -Throw -ErrorId 'CommercePolicyNotFound'
    }
}

Describe 'Get-MSCommerceProductPolicies' {
    It 'lists products with MSCommerce properties, readable with any case' {
        $products = @(Get-MSCommerceProductPolicies -PolicyId $script:policy)
        $products.Count | Should -BeGreaterThan 10
        $powerBi = $products | Where-Object { $_.ProductName -eq 'Power BI Pro' }
        $powerBi.ProductID | Should -Be 'CFQ7TTC0H9MP'
        $powerBi.PolicyId | Should -Be $script:policy
        $powerBi.PSObject.TypeNames[0] | Should -Be 'CommercePolicy.ProductPolicy'
    }

    It 'lists offer types with -Scope OfferType' {
        $saas = Get-MSCommerceProductPolicies -PolicyId $script:policy -Scope OfferType | Where-Object ScopeId -eq 'SaaS'
        $saas.Scope | Should -Be 'OfferType'
        $saas.PSObject.TypeNames[0] | Should -Be 'CommercePolicy.ScopePolicy'
    }

    It 'takes policies from the pipeline' {
        @(Get-MSCommercePolicies | Get-MSCommerceProductPolicies).Count | Should -BeGreaterThan 10
    }
}

Describe 'Get-MSCommerceProductPolicy' {
    It 'reads one product, also by its former id' {
        (Get-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0H9MP').ProductName | Should -Be 'Power BI Pro'
        (Get-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0KP0N').ProductId | Should -Be 'CFQ7TTC0LH3L'
    }

    It 'reads one offer type' {
        (Get-MSCommerceProductPolicy -PolicyId $script:policy -OfferType 'SaaS').ScopeId | Should -Be 'SaaS'
    }

    It 'reports an unknown product as ObjectNotFound' {
        $errors = $null
        Get-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0ZZZZ' -ErrorAction SilentlyContinue -ErrorVariable errors
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}

Describe 'Update-MSCommerceProductPolicy' {
    It 'sets a value with -Value, as MSCommerce scripts do' {
        $result = Update-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0HD32' -Value 'Disabled'
        $result.Status | Should -Be 'Updated'
        $result.PolicyValue | Should -Be 'Disabled'
        $result.PSObject.TypeNames[0] | Should -Be 'CommercePolicy.ProductPolicyUpdate'
        (Get-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0HD32').PolicyValue | Should -Be 'Disabled'
    }

    It 'takes -Enabled as <Enabled>' -TestCases @(
        @{ Enabled = $true; Expected = 'Enabled' }
        @{ Enabled = $false; Expected = 'Disabled' }
        @{ Enabled = 'True'; Expected = 'Enabled' }
        @{ Enabled = 'False'; Expected = 'Disabled' }
    ) {
        param($Enabled, $Expected)
        Update-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0HDB0' -Enabled $Enabled | Out-Null
        (Get-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0HDB0').PolicyValue | Should -Be $Expected
    }

    It 'writes a non-terminating error for an -Enabled that is not true or false, as MSCommerce did' {
        $errors = $null
        $after = & {
            Update-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0HDB0' -Enabled 'maybe' -ErrorAction SilentlyContinue -ErrorVariable errors
            'went on'
        }
        $after | Should -Be 'went on'
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'CommercePolicyInvalidEnabled,Update-MSCommerceProductPolicy'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $errors[0].Exception | Should -BeOfType [System.ArgumentException]
    }

    It 'changes an offer type and answers with its Scope properties' {
        $result = Update-MSCommerceProductPolicy -PolicyId $script:policy -OfferType 'SaaS' -Value 'Disabled'
        $result.Status | Should -Be 'Updated'
        $result.Scope | Should -Be 'OfferType'
        $result.ScopeId | Should -Be 'SaaS'
        $result.PreviousValue | Should -Be 'Enabled'
        $result.PSObject.TypeNames[0] | Should -Be 'CommercePolicy.ScopePolicyUpdate'
        (Get-MSCommerceProductPolicy -PolicyId $script:policy -OfferType 'SaaS').PolicyValue | Should -Be 'Disabled'
    }

    It 'shows the correlation id of an offer type update with -Verbose' {
        $verbose = Update-MSCommerceProductPolicy -PolicyId $script:policy -OfferType 'DYNAMICSBC' -Value 'Disabled' -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        @($verbose | Where-Object Message -match '^DYNAMICSBC: Updated \(correlation id [0-9a-f-]{36}\)$').Count | Should -Be 1
    }

    It 'changes nothing with -WhatIf' {
        $before = (Get-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0HHS9').PolicyValue
        $result = Update-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0HHS9' -Value 'Disabled' -WhatIf
        $result | Should -BeNullOrEmpty
        (Get-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0HHS9').PolicyValue | Should -Be $before
    }

    It 'reports with -WhatIf a value the service would refuse as an error record' {
        $errors = $null
        $result = Update-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0H9MP', 'CFQ7TTC0HD33' -Value 'OnlyTrialsWithoutPaymentMethod' -WhatIf -ErrorAction SilentlyContinue -ErrorVariable errors
        $result | Should -BeNullOrEmpty
        $errors.Count | Should -Be 1
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $errors[0].TargetObject | Should -Be 'CFQ7TTC0H9MP'
        $errors[0].Exception.Message | Should -Match '^CFQ7TTC0H9MP: would be refused: '
        (Get-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0HD33').PolicyValue | Should -Not -Be 'OnlyTrialsWithoutPaymentMethod'
    }

    It 'changes every piped product with one call of the binary' {
        $verbose = Get-MSCommerceProductPolicies -PolicyId $script:policy |
            Where-Object ProductName -like 'Windows 365*' |
            Update-MSCommerceProductPolicy -Value 'Disabled' -Verbose 4>&1
        $results = @($verbose | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
        $calls = @($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'commerce-policy product-policies update*' })
        $results.Count | Should -Be 3
        $calls.Count | Should -Be 1
        $after = Get-MSCommerceProductPolicies -PolicyId $script:policy | Where-Object ProductName -like 'Windows 365*'
        @($after | Where-Object PolicyValue -ne 'Disabled').Count | Should -Be 0
    }

    It 'runs the MSCommerce ForEach loop unchanged' {
        Get-MSCommerceProductPolicies -PolicyId $script:policy | Where-Object ProductName -like 'Teams*' | ForEach-Object {
            Update-MSCommerceProductPolicy -PolicyId $script:policy -ProductId $_.ProductID -Enabled $false
        } | Out-Null
        @(Get-MSCommerceProductPolicies -PolicyId $script:policy | Where-Object { $_.ProductName -like 'Teams*' -and $_.PolicyValue -ne 'Disabled' }).Count | Should -Be 0
    }

    It 'writes one error record per product that fails and changes the others' {
        $piped = @('CFQ7TTC0J203', 'CFQ7TTC0ZZZZ') | ForEach-Object { [pscustomobject] @{ PolicyId = $script:policy; ProductId = $_ } }
        $errors = $null
        $results = @($piped | Update-MSCommerceProductPolicy -Value 'Enabled' -ErrorAction SilentlyContinue -ErrorVariable errors)
        $results.Count | Should -Be 1
        $results[0].ProductId | Should -Be 'CFQ7TTC0J203'
        $errors.Count | Should -Be 1
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errors[0].TargetObject | Should -Be 'CFQ7TTC0ZZZZ'
    }

    It 'reports a value the product does not offer as InvalidArgument' {
        $errors = $null
        Update-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0H9MP' -Value 'OnlyTrialsWithoutPaymentMethod' -ErrorAction SilentlyContinue -ErrorVariable errors
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }
}

Describe 'Tab completion' {
    It 'completes product ids with product names as tooltips' {
        $line = "Get-MSCommerceProductPolicy -PolicyId $($script:policy) -ProductId CFQ7TTC0H9"
        $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $match = $completion.CompletionMatches | Where-Object CompletionText -eq 'CFQ7TTC0H9MP'
        $match.ToolTip | Should -Be 'Power BI Pro'
    }

    It 'completes product ids from a product name' {
        $line = 'Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId Visio'
        $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        @($completion.CompletionMatches.CompletionText) | Should -Contain 'CFQ7TTC0HD33'
    }

    It 'completes policy ids' {
        $line = 'Get-MSCommercePolicy -PolicyId Allow'
        $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        @($completion.CompletionMatches.CompletionText) | Should -Contain 'AllowSelfServicePurchase'
    }
}

Describe 'Connection and errors' {
    AfterEach {
        Connect-MSCommerce -Endpoint $script:endpoint
    }

    It 'binds MSCommerce''s parameterless call to device code' {
        (Get-Command Connect-MSCommerce).DefaultParameterSet | Should -Be 'DeviceCode'
    }

    It 'connects with -AccessToken through the binary, sends the token with every cmdlet, and disconnects' {
        $connection = Connect-MSCommerce -AccessToken 'not-a-real-token' -Endpoint $script:endpoint -PassThru -WarningVariable warnings
        $connection.PSObject.TypeNames[0] | Should -Be 'CommercePolicy.Connection'
        $connection.SignIn | Should -Be 'access token'
        $connection.Endpoint | Should -Be $script:endpoint
        $connection.CredentialStore | Should -BeNullOrEmpty
        $warnings.Count | Should -Be 0 -Because 'the session keeps the token'
        $verbose = Get-MSCommercePolicies -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        @($verbose | Where-Object Message -like '*not-a-real-token*').Count | Should -Be 0
        @(Get-MSCommercePolicies).Count | Should -BeGreaterThan 0
        Disconnect-MSCommerce -Verbose 4>&1 | Where-Object Message -like 'Disconnected from *' | Should -Not -BeNullOrEmpty
        Disconnect-MSCommerce -Verbose 4>&1 | Where-Object Message -eq 'Not connected.' | Should -Not -BeNullOrEmpty
    }

    It 'writes nothing without -PassThru, as MSCommerce did' {
        Connect-MSCommerce -Endpoint $script:endpoint | Should -BeNullOrEmpty
        (Connect-MSCommerce -Endpoint $script:endpoint -PassThru).Endpoint | Should -Be $script:endpoint
    }

    It 'refuses -CertificateThumbprint and says to export a PFX' {
        $thrown = { Connect-MSCommerce -TenantId 'contoso.onmicrosoft.com' -ClientId '00000000-0000-0000-0000-000000000001' -CertificateThumbprint 'ABC123' } |
            Should -Throw -ErrorId 'CommercePolicyCertificateStoreNotSupported' -PassThru
        $thrown.CategoryInfo.Category | Should -Be 'NotImplemented'
        $thrown.Exception.Message | Should -Match 'Export-PfxCertificate.*-CertificatePath'
    }

    It 'reports a refused sign-in combination as InvalidArgument with the binary line' {
        $errors = $null
        Connect-MSCommerce -ManagedIdentity -Endpoint 'local' -ErrorAction SilentlyContinue -ErrorVariable errors
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $errors[0].Exception.Message | Should -Match '^commerce-policy: '
    }

    It 'reports an unreachable service as ConnectionError' {
        $errors = $null
        Connect-MSCommerce -Endpoint 'http://127.0.0.1:1' -ErrorAction SilentlyContinue -ErrorVariable errors
        $errors[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        $errors[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }

    It 'shows every request with its correlation id under -Verbose' {
        $verbose = Get-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0H9MP' -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $pattern = '^GET /v1\.0/policies/AllowSelfServicePurchase/products/CFQ7TTC0H9MP: 200 after 1 attempt\(s\) \(correlation id [0-9a-f-]{36}\)$'
        @($verbose | Where-Object Message -match $pattern).Count | Should -Be 1
    }

    It 'keeps a token off the command line' {
        $verbose = Get-MSCommercePolicies -Token 'not-a-real-token' -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        @($verbose | Where-Object Message -like 'commerce-policy *').Count | Should -Be 1
        @($verbose | Where-Object Message -like '*not-a-real-token*').Count | Should -Be 0
    }

    It 'says where it looked when there is no binary' {
        $saved = $env:COMMERCE_POLICY_BIN
        try {
            $env:COMMERCE_POLICY_BIN = Join-Path $TestDrive 'no-such-binary'
            { Get-MSCommercePolicies } | Should -Throw -ErrorId 'CommercePolicyBinaryNotFound'
        }
        finally {
            $env:COMMERCE_POLICY_BIN = $saved
        }
    }
}

Describe 'Test-CommercePolicyBaseline' {
    BeforeAll {
        # Products that no other test here changes; all start out Enabled.
        $script:baseline = Join-Path $TestDrive 'baseline.json'
        Set-Content -LiteralPath $script:baseline -Value '{ "policyId": "AllowSelfServicePurchase", "products": { "CFQ7TTC0N8SS": "Disabled", "CFQ7TTC0MM8R": "Disabled", "CFQ7TTC0S3X1": "Enabled" } }'
        $script:typo = Join-Path $TestDrive 'typo.json'
        Set-Content -LiteralPath $script:typo -Value '{ "policyId": "AllowSelfServicePurchase", "products": { "CFQ7TTC0ZZZZ": "Disabled" } }'
    }

    It 'returns one drift object per product that differs' {
        $drift = @(Test-CommercePolicyBaseline -Path $script:baseline)
        $drift.Count | Should -Be 2
        @($drift.ProductId | Sort-Object) | Should -Be @('CFQ7TTC0MM8R', 'CFQ7TTC0N8SS')
        $drift[0].CurrentValue | Should -Be 'Enabled'
        $drift[0].WantedValue | Should -Be 'Disabled'
        $drift[0].Source | Should -Be 'Pinned'
        $drift[0].PolicyId | Should -Be $script:policy
        $drift[0].ProductName | Should -Not -BeNullOrEmpty
        $drift[0].PSObject.TypeNames[0] | Should -Be 'CommercePolicy.BaselineDrift'
    }

    It 'returns $false with -Quiet on drift, without an error' {
        Test-CommercePolicyBaseline -Path $script:baseline -Quiet -ErrorAction Stop | Should -BeExactly $false
    }

    It 'reads a relative path from the current PowerShell location' {
        Push-Location $TestDrive
        try {
            @(Test-CommercePolicyBaseline -Path 'baseline.json').Count | Should -Be 2
        }
        finally {
            Pop-Location
        }
    }

    It 'takes baseline files from the pipeline' {
        $answers = @(Get-Item -LiteralPath $script:baseline, $script:baseline | Test-CommercePolicyBaseline -Quiet)
        $answers | Should -Be @($false, $false)
    }

    It 'names a product id that the service does not list, and answers no Boolean' {
        $errors = $null
        $answer = Test-CommercePolicyBaseline -Path $script:typo -Quiet -ErrorAction SilentlyContinue -ErrorVariable errors
        $answer | Should -BeNullOrEmpty
        $errors.Count | Should -Be 1
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $errors[0].Exception.Message | Should -Match 'CFQ7TTC0ZZZZ'
    }

    It 'accepts an unknown product id with -AllowUnknownProducts' {
        Test-CommercePolicyBaseline -Path $script:typo -AllowUnknownProducts -Quiet -ErrorAction Stop | Should -BeExactly $true
    }
}

Describe 'Invoke-CommercePolicyBaseline' {
    BeforeAll {
        $script:applied = Join-Path $TestDrive 'apply.json'
        Set-Content -LiteralPath $script:applied -Value '{ "policyId": "AllowSelfServicePurchase", "products": { "CFQ7TTC0LSGZ": "Disabled", "CFQ7TTC0N8SL": "Disabled" } }'
    }

    It 'asks before it changes anything (ConfirmImpact High)' {
        $metadata = New-Object System.Management.Automation.CommandMetadata -ArgumentList (Get-Command Invoke-CommercePolicyBaseline)
        $metadata.SupportsShouldProcess | Should -BeTrue
        $metadata.ConfirmImpact | Should -Be 'High'
    }

    It 'changes nothing with -WhatIf' {
        $result = Invoke-CommercePolicyBaseline -Path $script:applied -WhatIf
        $result | Should -BeNullOrEmpty
        (Get-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0LSGZ').PolicyValue | Should -Be 'Enabled'
    }

    It 'makes the service match and returns update results' {
        $results = @(Invoke-CommercePolicyBaseline -Path $script:applied -Confirm:$false)
        $results.Count | Should -Be 2
        @($results | Where-Object Status -ne 'Updated').Count | Should -Be 0
        $results[0].PreviousValue | Should -Be 'Enabled'
        $results[0].PolicyValue | Should -Be 'Disabled'
        $results[0].CorrelationId | Should -Not -BeNullOrEmpty
        $results[0].PSObject.TypeNames[0] | Should -Be 'CommercePolicy.ProductPolicyUpdate'
        Test-CommercePolicyBaseline -Path $script:applied -Quiet | Should -BeExactly $true
    }

    It 'changes nothing the second time' {
        @(Invoke-CommercePolicyBaseline -Path $script:applied -Confirm:$false).Count | Should -Be 0
    }

    It 'reports a product changed since the saved plan as ResourceBusy and still returns its result' {
        $baseline = Join-Path $TestDrive 'planned.json'
        $plan = Join-Path $TestDrive 'plan.json'
        Set-Content -LiteralPath $baseline -Value '{ "policyId": "AllowSelfServicePurchase", "products": { "CFQ7TTC0HDB1": "OnlyTrialsWithoutPaymentMethod", "CFQ7TTC0LH2H": "Disabled" } }'
        & $env:COMMERCE_POLICY_BIN --endpoint $script:endpoint plan --file $baseline --out $plan | Out-Null
        $LASTEXITCODE | Should -Be 0
        # Someone else changes Planner Plan 1 between the plan and its apply.
        Update-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0HDB1' -Value 'Disabled' | Out-Null

        $errors = $null
        $results = @(Invoke-CommercePolicyBaseline -PlanPath $plan -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable errors)
        ($results | Where-Object ProductId -eq 'CFQ7TTC0HDB1').Status | Should -Be 'Conflict'
        ($results | Where-Object ProductId -eq 'CFQ7TTC0LH2H').Status | Should -Be 'Updated'
        $errors.Count | Should -Be 1
        $errors[0].CategoryInfo.Category | Should -Be 'ResourceBusy'
        $errors[0].TargetObject | Should -Be 'CFQ7TTC0HDB1'
        (Get-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0HDB1').PolicyValue | Should -Be 'Disabled'
    }
}

Describe 'Export-CommercePolicyBaseline' {
    It 'returns the baseline as JSON text' {
        $text = Export-CommercePolicyBaseline -PolicyId $script:policy
        $text | Should -BeOfType [string]
        $baseline = $text | ConvertFrom-Json
        $baseline.policyId | Should -Be $script:policy
        $baseline.products.CFQ7TTC0H9MP | Should -Not -BeNullOrEmpty
    }

    It 'writes a UTF-8 file without a byte order mark that matches the service' {
        $file = Join-Path $TestDrive 'exported.json'
        Export-CommercePolicyBaseline -PolicyId $script:policy -Default 'Disabled' -Path $file | Should -BeNullOrEmpty
        $bytes = [System.IO.File]::ReadAllBytes($file)
        $bytes[0] | Should -Be ([byte] [char] '{')
        (Get-Content -LiteralPath $file -Raw | ConvertFrom-Json).default | Should -Be 'Disabled'
        Test-CommercePolicyBaseline -Path $file -Quiet | Should -BeExactly $true
    }

    It 'writes no file with -WhatIf' {
        $file = Join-Path $TestDrive 'not-written.json'
        Export-CommercePolicyBaseline -Path $file -WhatIf
        Test-Path -LiteralPath $file | Should -BeFalse
    }
}
