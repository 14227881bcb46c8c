#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.2.0' }

# (InModuleScope -Parameters needs Pester 5.2.)

# What the module decides itself (issue 10, sections 1, 2 and 5), against a live
# 'commerce-policy serve' on a loopback port: only the public cmdlets leave the module; the
# MSCommerce-named cmdlets never fall back to the embedded store; typed exceptions; MSCommerce's
# positions and pipeline bindings; the binary's stderr relayed (warnings, the device-code
# instruction, JSON log lines); a call stopped kills its child; tab completion bounded and
# silent; COMMERCE_POLICY_BIN; ExpiresOn one type; a secret through the environment on Desktop.

BeforeDiscovery {
    # -Skip is decided at discovery, before BeforeAll runs.
    $isWindowsHost = [System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT
    $isMacHost = $false
    try {
        $isMacHost = [System.Runtime.InteropServices.RuntimeInformation]::IsOSPlatform([System.Runtime.InteropServices.OSPlatform]::OSX)
    }
    catch {
        $isMacHost = $false
    }
}

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

Describe 'The module''s files' {
    It 'exports the twenty-four public cmdlets and no helper' {
        @(Get-Command -Module CommercePolicy).Count | Should -Be 24
        Get-Command -Name 'Invoke-CommercePolicyCommand' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-Command -Name 'New-CommercePolicyCall' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-Command -Name 'Invoke-CommercePolicyChange' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-Command -Name 'Add-CommercePolicyLicenseBatch' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'keeps Get-Help working for a cmdlet of its own file' {
        (Get-Help Update-MSCommerceProductPolicy).Synopsis | Should -Match 'Changes a policy'
        (Get-Help Update-MSCommerceProductPolicy -Parameter Enabled).description.Text | Should -Match 'MSCommerce'
    }
}

Describe 'Where the MSCommerce cmdlets go' {
    AfterEach {
        Connect-MSCommerce -Endpoint $script:endpoint
    }

    It 'fails with an AuthenticationError that says to run Connect-MSCommerce when not connected' {
        Disconnect-MSCommerce
        $errors = $null
        $result = Get-MSCommercePolicies -ErrorAction SilentlyContinue -ErrorVariable errors
        $result | Should -BeNullOrEmpty
        $errors.Count | Should -Be 1
        $errors[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        $errors[0].Exception | Should -BeOfType [System.Security.Authentication.AuthenticationException]
        $errors[0].Exception.Message | Should -Match 'Connect-MSCommerce'
        $errors[0].ErrorDetails.RecommendedAction | Should -Match 'Connect-MSCommerce'
    }

    It 'passes --require-connection from the MSCommerce cmdlets only' {
        $verbose = Get-MSCommercePolicies -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        @($verbose | Where-Object Message -like 'commerce-policy policies list *--require-connection*').Count | Should -Be 1
        $baseline = Join-Path $TestDrive 'empty.json'
        Set-Content -LiteralPath $baseline -Value '{ "policyId": "AllowSelfServicePurchase", "products": { "CFQ7TTC0H9MP": "Enabled" } }'
        $verbose = Test-CommercePolicyBaseline $baseline -Quiet -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        @($verbose | Where-Object Message -like 'commerce-policy plan *').Count | Should -Be 1
        @($verbose | Where-Object Message -like '*--require-connection*').Count | Should -Be 0
    }

    It 'connects to an endpoint alone through the binary, without signing in' {
        $verbose = Connect-MSCommerce -Endpoint $script:endpoint -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $call = @($verbose | Where-Object Message -like 'commerce-policy connect *')
        $call.Count | Should -Be 1
        $call[0].Message | Should -BeLike '* --no-sign-in *'
        $call[0].Message | Should -BeLike ('* --endpoint {0} *' -f $script:endpoint)
        @(Get-MSCommercePolicies).Count | Should -BeGreaterThan 0
    }

    It 'gives ExpiresOn one type on every edition' {
        $connection = Connect-MSCommerce -AccessToken 'not-a-real-token' -Endpoint $script:endpoint -PassThru
        $connection.ExpiresOn | Should -BeOfType [System.DateTimeOffset]
    }
}

Describe 'Typed exceptions' {
    It 'throws an ItemNotFoundException for an unknown policy' {
        $caught = $null
        try {
            Get-MSCommercePolicy -PolicyId 'NoSuchPolicy' -ErrorAction Stop
        }
        catch [System.Management.Automation.ItemNotFoundException] {
            $caught = $_
        }
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -Be 'CommercePolicyNotFound,Get-MSCommercePolicy'
    }

    It 'maps every exit code onto its exception type' -TestCases @(
        @{ Code = 2; Type = [System.ArgumentException] }
        @{ Code = 3; Type = [System.Security.Authentication.AuthenticationException] }
        @{ Code = 4; Type = [System.UnauthorizedAccessException] }
        @{ Code = 5; Type = [System.Management.Automation.ItemNotFoundException] }
        @{ Code = 6; Type = [System.InvalidOperationException] }
        @{ Code = 7; Type = [System.Net.WebException] }
        @{ Code = 130; Type = [System.OperationCanceledException] }
        @{ Code = 1; Type = [System.Management.Automation.RuntimeException] }
    ) {
        param($Code, $Type)
        $record = InModuleScope CommercePolicy -Parameters @{ Code = $Code } {
            param($Code)
            New-CommercePolicyErrorRecord -Message 'commerce-policy: it failed' -ExitCode $Code
        }
        $record.Exception.GetType() | Should -Be $Type
    }
}

Describe 'MSCommerce parity' {
    It 'binds MSCommerce''s positions of Connect-MSCommerce' {
        $parameters = (Get-Command Connect-MSCommerce).Parameters
        $parameters['ClientId'].ParameterSets['DeviceCode'].Position | Should -Be 0
        $parameters['RedirectUri'].ParameterSets['DeviceCode'].Position | Should -Be 1
        $parameters['Resource'].ParameterSets['DeviceCode'].Position | Should -Be 2
    }

    It 'takes -Path at position 0 of the baseline cmdlets' {
        foreach ($name in @('Test-CommercePolicyBaseline', 'Invoke-CommercePolicyBaseline', 'Export-CommercePolicyBaseline')) {
            $sets = (Get-Command $name).Parameters['Path'].ParameterSets
            @($sets.Values | Where-Object Position -eq 0).Count | Should -BeGreaterThan 0 -Because $name
        }
    }

    It 'changes offer types piped from Get-MSCommerceProductPolicies -Scope OfferType' {
        $results = @(Get-MSCommerceProductPolicies -PolicyId $script:policy -Scope OfferType |
                Where-Object ScopeId -eq 'POWERBIVISUALS' |
                Update-MSCommerceProductPolicy -Enabled $false)
        $results.Count | Should -Be 1
        $results[0].ScopeId | Should -Be 'POWERBIVISUALS'
        $results[0].PolicyValue | Should -Be 'Disabled'
    }

    It 'warns when -ProductId got several ids from one expression, and changes them all' {
        $ids = @('CFQ7TTC0HHS9', 'CFQ7TTC0HD33')
        $warnings = $null
        $results = @(Update-MSCommerceProductPolicy -PolicyId $script:policy -ProductId $ids -Value 'Disabled' -WarningVariable warnings -WarningAction SilentlyContinue)
        $results.Count | Should -Be 2
        @($warnings | Where-Object { $_.Message -match 'MSCommerce' }).Count | Should -Be 1
    }
}

Describe '-WhatIf' {
    It 'prints a "What if:" line only for a product that would change' {
        Update-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0HDB0' -Value 'Disabled' | Out-Null
        $before = (Get-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0LH2H').PolicyValue
        $transcript = Join-Path $TestDrive 'what-if.txt'
        Start-Transcript -LiteralPath $transcript | Out-Null
        try {
            Update-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0HDB0', 'CFQ7TTC0LH2H' -Value 'Disabled' -WhatIf -WarningAction SilentlyContinue
        }
        finally {
            Stop-Transcript | Out-Null
        }
        $lines = @(Get-Content -LiteralPath $transcript | Where-Object { $_ -like 'What if:*' })
        $lines.Count | Should -Be 1
        $lines[0] | Should -Match 'CFQ7TTC0LH2H'
        (Get-MSCommerceProductPolicy -PolicyId $script:policy -ProductId 'CFQ7TTC0LH2H').PolicyValue | Should -Be $before
    }
}

Describe 'Failure reporting' {
    It 'writes an error for a non-zero exit with JSON and no failed result' {
        $errors = InModuleScope CommercePolicy {
            $entry = $script:CommandTable['Update-MSCommerceProductPolicy']
            $run = @{ ExitCode = 7; StandardOutput = '[{"ProductId":"CFQ7TTC0H9MP","Status":"Updated"}]' }
            $messages = New-Object System.Collections.Generic.List[string]
            $messages.Add('commerce-policy: the service went away')
            $found = $null
            & {
                [CmdletBinding()]
                param()
                ConvertFrom-CommercePolicyOutput -Cmdlet $PSCmdlet -Entry $entry -Run $run -Messages $messages
            } -ErrorAction SilentlyContinue -ErrorVariable found | Out-Null
            $found
        }
        @($errors).Count | Should -Be 1
        $errors[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        $errors[0].Exception.Message | Should -Be 'commerce-policy: the service went away'
    }

    It 'turns the binary''s log lines into warnings, verbose messages and relayed lines' {
        $records = InModuleScope CommercePolicy {
            $messages = New-Object System.Collections.Generic.List[string]
            & {
                Write-CommercePolicyStandardError -Line '{"timestamp":"2026-12-01T15:00:00Z","level":"WARN","fields":{"message":"throttled: retrying in 2s"}}' -Messages $messages
                Write-CommercePolicyStandardError -Line '{"level":"DEBUG","message":"request","method":"GET","path":"/v1.0/policies","status":200,"attempts":1,"correlation_id":"6f1c0000-0000-0000-0000-000000000000"}' -Messages $messages -Verbose
                Write-CommercePolicyStandardError -Line 'To sign in, open https://microsoft.com/devicelogin and enter the code ABCD-EFGH (within 15 minutes).' -Messages $messages
                Write-CommercePolicyStandardError -Line '{"level":"INFO","message":"To sign in, open https://microsoft.com/devicelogin and enter the code WXYZ-EFGH (within 15 minutes)."}' -Messages $messages
                Write-CommercePolicyStandardError -Line 'commerce-policy: not connected' -Messages $messages
                Write-CommercePolicyStandardError -Line '{"level":"ERROR","message":"policy NoSuch was not found (correlation id 1)","exitCode":5}' -Messages $messages
            } 3>&1 4>&1 6>&1
            , $messages.ToArray()
        }
        $warning = @($records | Where-Object { $_ -is [System.Management.Automation.WarningRecord] })
        $warning.Count | Should -Be 1
        $warning[0].Message | Should -Be 'throttled: retrying in 2s'
        $verbose = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        $verbose[0].Message | Should -Be 'GET /v1.0/policies: 200 after 1 attempt(s) (correlation id 6f1c0000-0000-0000-0000-000000000000)'
        $information = @($records | Where-Object { $_ -is [System.Management.Automation.InformationRecord] })
        # The plain prompt and the JSON one (no timestamp: a line for the person, not a log event).
        $information.Count | Should -Be 2
        $information[0].MessageData | Should -Match '^To sign in, open '
        $information[1].MessageData | Should -Match 'WXYZ-EFGH'
        # The failure lines, text or JSON, are kept for the error record, not relayed.
        $records[-1] | Should -Be @('commerce-policy: not connected', 'commerce-policy: policy NoSuch was not found (correlation id 1)')
        @($records | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).Count | Should -Be 0
        $warning.Count | Should -Be 1 -Because 'an ERROR line with an exitCode is the failure, not a warning'
    }
}

Describe 'Running the binary' {
    It 'kills the child when the call is stopped, so no orphan goes on' {
        $listener = New-Object System.Net.Sockets.TcpListener -ArgumentList ([System.Net.IPAddress]::Loopback), 0
        $listener.Start()
        $port = $listener.LocalEndpoint.Port
        $listener.Stop()
        $store = Join-Path $TestDrive 'orphan.db'
        $arguments = @('serve', '--listen', ('127.0.0.1:{0}' -f $port), '--store', $store)
        {
            InModuleScope CommercePolicy -Parameters @{ Arguments = $arguments } {
                param($Arguments)
                Invoke-CommercePolicyProcess -FilePath $env:COMMERCE_POLICY_BIN -ArgumentList $Arguments -TimeoutMilliseconds 1500 | Out-Null
            }
        } | Should -Throw -ExpectedMessage '*did not answer in time*'
        $client = New-Object System.Net.Sockets.TcpClient
        { $client.Connect([System.Net.IPAddress]::Loopback, $port) } | Should -Throw
        $client.Dispose()
    }

    It 'finds the binary from a folder in COMMERCE_POLICY_BIN' {
        $saved = $env:COMMERCE_POLICY_BIN
        try {
            $env:COMMERCE_POLICY_BIN = Split-Path -Parent $saved
            @(Get-MSCommercePolicies).Count | Should -BeGreaterThan 0
        }
        finally {
            $env:COMMERCE_POLICY_BIN = $saved
        }
    }

    It 'makes a file executable quietly, and says nothing where it may not' -Skip:$isWindowsHost {
        $file = Join-Path $TestDrive 'not-yet-executable'
        Set-Content -LiteralPath $file -Value 'x'
        $output = InModuleScope CommercePolicy -Parameters @{ File = $file } {
            param($File)
            Set-CommercePolicyExecutable -Path $File *>&1
            Set-CommercePolicyExecutable -Path '/proc/version' *>&1
        }
        $output | Should -BeNullOrEmpty
        & test -x $file
        $LASTEXITCODE | Should -Be 0
    }

    It 'passes a client secret through the child''s environment on Windows PowerShell, else on stdin' {
        $call = InModuleScope CommercePolicy {
            $secret = ConvertTo-SecureString -String 'TESTONLY-secret' -AsPlainText -Force
            & {
                [CmdletBinding()]
                param()
                New-CommercePolicyCall -Cmdlet $PSCmdlet -CommandName 'Connect-MSCommerce' -Parameters @{ TenantId = 'contoso.onmicrosoft.com'; ClientId = 'app'; ClientSecret = $secret }
            }
        }
        $call.Arguments | Should -Contain '--client-secret'
        if ($PSVersionTable.PSEdition -eq 'Desktop') {
            $call.Environment['COMMERCE_POLICY_CLIENT_SECRET'] | Should -BeOfType [System.Security.SecureString]
            $call.Secret | Should -BeNullOrEmpty
        }
        else {
            $call.Secret | Should -BeOfType [System.Security.SecureString]
            $call.Environment.ContainsKey('COMMERCE_POLICY_CLIENT_SECRET') | Should -BeFalse
        }
    }

    It 'chooses a browser sign-in only where a desktop session can show it' -Skip:($isWindowsHost -or $isMacHost) {
        $saved = @{ DISPLAY = $env:DISPLAY; WAYLAND_DISPLAY = $env:WAYLAND_DISPLAY; SSH_CONNECTION = $env:SSH_CONNECTION }
        try {
            $env:DISPLAY = $null
            $env:WAYLAND_DISPLAY = $null
            $env:SSH_CONNECTION = $null
            InModuleScope CommercePolicy { Get-CommercePolicyPersonSignIn -BoundParameters @{} } | Should -Be 'DeviceCode'
            $env:DISPLAY = ':0'
            InModuleScope CommercePolicy { Get-CommercePolicyPersonSignIn -BoundParameters @{} } | Should -Be 'Browser'
            InModuleScope CommercePolicy { Get-CommercePolicyPersonSignIn -BoundParameters @{ DeviceCode = $true } } | Should -Be 'DeviceCode'
            InModuleScope CommercePolicy { Get-CommercePolicyPersonSignIn -BoundParameters @{ Endpoint = 'local' } } | Should -Be 'NoSignIn'
            $env:SSH_CONNECTION = '10.0.0.1 50000 10.0.0.2 22'
            InModuleScope CommercePolicy { Get-CommercePolicyPersonSignIn -BoundParameters @{} } | Should -Be 'DeviceCode'
        }
        finally {
            foreach ($name in $saved.Keys) {
                Set-Item -Path ('Env:\{0}' -f $name) -Value $saved[$name] -ErrorAction SilentlyContinue
                if ($null -eq $saved[$name]) {
                    Remove-Item -Path ('Env:\{0}' -f $name) -ErrorAction SilentlyContinue
                }
            }
        }
    }
}

Describe 'Tab completion' {
    It 'gives up after about a second, silently, when the service does not answer' {
        # A port that accepts connections and never answers.
        $listener = New-Object System.Net.Sockets.TcpListener -ArgumentList ([System.Net.IPAddress]::Loopback), 0
        $listener.Start()
        try {
            # (Connect-MSCommerce -Endpoint would check it, and wait.)
            $env:COMMERCE_POLICY_ENDPOINT = 'http://127.0.0.1:{0}' -f $listener.LocalEndpoint.Port
            $errorsBefore = $Error.Count
            $line = 'Get-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId CFQ'
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $output = @(TabExpansion2 -inputScript $line -cursorColumn $line.Length 3>&1 4>&1 6>&1)
            $clock.Stop()
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
            $completion = @($output | Where-Object { $_ -is [System.Management.Automation.CommandCompletion] })
            $completion.Count | Should -Be 1
            @($completion[0].CompletionMatches).Count | Should -Be 0
            @($output | Where-Object { $_ -isnot [System.Management.Automation.CommandCompletion] }).Count | Should -Be 0
            $Error.Count | Should -Be $errorsBefore
        }
        finally {
            Remove-Item Env:\COMMERCE_POLICY_ENDPOINT -ErrorAction SilentlyContinue
            $listener.Stop()
        }
    }
}
