# The one table of the CommercePolicy module, as data: read once at import (CommercePolicy.psm1)
# with Import-PowerShellDataFile. Each cmdlet, the binary's subcommand behind it, the type name
# given to the objects it prints, and how each cmdlet parameter reaches the binary. The contract
# tests (tests/tests/e2e/module_*.rs) hold every entry against the binary's own command tree
# (commerce-policy describe-cli) and against the param blocks of Public/*.ps1.
#
# Commands.<cmdlet>:
#   Command           the subcommand, as its words
#   SetCommands       the subcommand of a parameter set whose subcommand differs from Command,
#                     by the set's name (Get-CommerceSelfServiceSubscription -SubscriptionId reads
#                     one with `subscriptions get`, the other set lists)
#   TypeName          the type name given to the JSON objects it prints ('' for none)
#   ScopeTypeName     the type name of objects that carry Scope properties (offer types)
#   Output            'Objects' (the default) or 'Text' (the binary's output as it is)
#   KeepFailed        a failed result is written as an error record and also as the object, so
#                     that a report lists every product
#   RequireConnection the MSCommerce-named cmdlets never fall back to the embedded local store:
#                     the global --require-connection makes the binary exit 3 without a connection
#   AnswerCodes       exit codes that are an answer, not a failure (plan's drift)
#   DateProperties    properties converted to [System.DateTimeOffset] (the same type on 5.1 and 7)
#   Parameters        one mapping per parameter of the cmdlet's param block
#   Implied           mappings of flags that the cmdlet sets itself (no parameter of their own)
#
# A mapping:
#   Flag        the binary's long flag; the value follows it ('--policy-id X'); repeated per item
#   Positional  the value goes last, after '--', as the binary's positional argument of that id
#   Env         the value goes in this environment variable of the child process only (secrets
#               never go on a command line); Flag then names the flag the variable stands for
#               (the flag's own variable) or goes with (a password that its --help names). A
#               SecureString is converted only as the child process is started
#   SecretStdin the flag alone (a switch of the binary), and the value, a SecureString, written to
#               the binary's standard input, converted only at the moment it is written
#   DesktopEnv  with SecretStdin: on Windows PowerShell 5.1 (Desktop edition), which writes a byte
#               order mark into a child's stdin, the secret goes in this variable of the child's
#               environment instead
#   Stdin       the values go to the binary's standard input, one per line, and the flag gets '-'
#   Switch      the flag alone, when the parameter is present and true
#   Interactive with Switch: when the flag is given, the binary talks to the person while it runs
#               (device code, browser): its stderr lines are relayed to the host as they arrive,
#               and the child gets a window of its own if it needs one
#   Path        the value is a file path: resolved against PowerShell's current location before
#               it reaches the binary, whose working directory is the process's, not that location
#   Unmapped    accepted, given to nothing (the reason): for MSCommerce compatibility, or handled
#               by the cmdlet itself
#   Sets        the mapping applies only in these parameter sets (for a common parameter such as
#               -WhatIf, or an implied flag, which belong to every set): a subcommand of another
#               set lacks the flag, and the cmdlet handles the parameter itself there
#   OutputFormat with this parameter the binary is asked for this --output format instead of
#               json: the format of a file it writes (Export-CommerceSelfServiceUser -Path: CSV)
@{
    Commands          = @{
        'Connect-MSCommerce'             = @{
            Command        = @('connect')
            TypeName       = 'CommercePolicy.Connection'
            DateProperties = @('ExpiresOn')
            Parameters     = @{
                TenantId              = @{ Flag = '--tenant-id' }
                ClientId              = @{ Flag = '--client-id' }
                Resource              = @{ Flag = '--resource' }
                Environment           = @{ Flag = '--environment' }
                Endpoint              = @{ Flag = '--endpoint' }
                DeviceCode            = @{ Flag = '--device-code'; Switch = $true; Interactive = $true }
                ClientSecret          = @{ Flag = '--client-secret'; SecretStdin = $true; DesktopEnv = 'COMMERCE_POLICY_CLIENT_SECRET' }
                CertificatePath       = @{ Flag = '--certificate'; Path = $true }
                CertificatePassword   = @{ Flag = '--certificate'; Env = 'COMMERCE_POLICY_CERTIFICATE_PASSWORD' }
                ManagedIdentity       = @{ Flag = '--managed-identity'; Switch = $true }
                FederatedTokenFile    = @{ Flag = '--federated-token-file'; Path = $true }
                GitHubActions         = @{ Flag = '--federated-github'; Switch = $true }
                AccessToken           = @{ Flag = '--access-token'; Env = 'COMMERCE_POLICY_ACCESS_TOKEN' }
                RedirectUri           = @{ Unmapped = 'MSCommerce compatibility: the binary chooses its own loopback redirect for a browser sign-in (RFC 8252), and a device code needs none' }
                CertificateThumbprint = @{ Unmapped = 'the binary cannot read the Windows certificate store yet: the cmdlet stops and says to export the certificate to a PFX and use -CertificatePath' }
                PassThru              = @{ Unmapped = 'the cmdlet writes the connection object itself' }
            }
            Implied        = @{
                # With no sign-in parameter, where a desktop session exists: MSCommerce signed in
                # in a browser too.
                Browser  = @{ Flag = '--browser'; Switch = $true; Interactive = $true }
                # -Endpoint alone: the binary saves where commands go, and signs in to nothing.
                NoSignIn = @{ Flag = '--no-sign-in'; Switch = $true }
            }
        }
        'Disconnect-MSCommerce'          = @{
            Command    = @('disconnect')
            TypeName   = ''
            Parameters = @{}
        }
        'Get-MSCommercePolicies'         = @{
            Command           = @('policies', 'list')
            TypeName          = 'CommercePolicy.Policy'
            RequireConnection = $true
            Parameters        = @{
                Token = @{ Flag = '--access-token'; Env = 'COMMERCE_POLICY_ACCESS_TOKEN' }
            }
        }
        'Get-MSCommercePolicy'           = @{
            Command           = @('policies', 'get')
            TypeName          = 'CommercePolicy.Policy'
            RequireConnection = $true
            Parameters        = @{
                PolicyId = @{ Positional = 'policy_id' }
                Token    = @{ Flag = '--access-token'; Env = 'COMMERCE_POLICY_ACCESS_TOKEN' }
            }
        }
        'Get-MSCommerceProductPolicies'  = @{
            Command           = @('product-policies', 'list')
            TypeName          = 'CommercePolicy.ProductPolicy'
            ScopeTypeName     = 'CommercePolicy.ScopePolicy'
            RequireConnection = $true
            Parameters        = @{
                PolicyId = @{ Flag = '--policy-id' }
                Scope    = @{ Flag = '--scope' }
                Token    = @{ Flag = '--access-token'; Env = 'COMMERCE_POLICY_ACCESS_TOKEN' }
            }
        }
        'Get-MSCommerceProductPolicy'    = @{
            Command           = @('product-policies', 'get')
            TypeName          = 'CommercePolicy.ProductPolicy'
            ScopeTypeName     = 'CommercePolicy.ScopePolicy'
            RequireConnection = $true
            Parameters        = @{
                PolicyId  = @{ Flag = '--policy-id' }
                ProductId = @{ Flag = '--product-id' }
                OfferType = @{ Flag = '--offer-type' }
                Token     = @{ Flag = '--access-token'; Env = 'COMMERCE_POLICY_ACCESS_TOKEN' }
            }
        }
        'Update-MSCommerceProductPolicy' = @{
            Command           = @('product-policies', 'update')
            TypeName          = 'CommercePolicy.ProductPolicyUpdate'
            ScopeTypeName     = 'CommercePolicy.ScopePolicyUpdate'
            RequireConnection = $true
            Parameters        = @{
                PolicyId  = @{ Flag = '--policy-id' }
                ProductId = @{ Flag = '--product-id'; Stdin = $true }
                OfferType = @{ Flag = '--offer-type' }
                Enabled   = @{ Flag = '--enabled' }
                Value     = @{ Flag = '--value' }
                Token     = @{ Flag = '--access-token'; Env = 'COMMERCE_POLICY_ACCESS_TOKEN' }
                WhatIf    = @{ Flag = '--what-if'; Switch = $true }
            }
        }
        'Test-CommercePolicyBaseline'    = @{
            Command       = @('plan')
            TypeName      = 'CommercePolicy.BaselineDrift'
            # A baseline's offer types drift too: rows with Scope, ScopeId and ScopeValue.
            ScopeTypeName = 'CommercePolicy.ScopeBaselineDrift'
            AnswerCodes   = @(8)
            Parameters  = @{
                Path                 = @{ Flag = '--file'; Path = $true }
                AllowUnknownProducts = @{ Flag = '--allow-unknown-products'; Switch = $true }
                # -Quiet answers from the exit code: 0 when the service matches, 8 when it differs.
                Quiet                = @{ Flag = '--detailed-exitcode'; Switch = $true }
            }
        }
        'Invoke-CommercePolicyBaseline'  = @{
            # The results of apply are the update results of product-policies update.
            Command       = @('apply')
            TypeName      = 'CommercePolicy.ProductPolicyUpdate'
            ScopeTypeName = 'CommercePolicy.ScopePolicyUpdate'
            KeepFailed    = $true
            Parameters = @{
                Path                 = @{ Flag = '--file'; Path = $true }
                PlanPath             = @{ Flag = '--plan'; Path = $true }
                AllowUnknownProducts = @{ Flag = '--allow-unknown-products'; Switch = $true }
                Concurrency          = @{ Flag = '--concurrency' }
                WhatIf               = @{ Flag = '--what-if'; Switch = $true }
            }
        }
        'Export-CommercePolicyBaseline'  = @{
            Command    = @('export')
            TypeName   = ''
            Output     = 'Text'
            Parameters = @{
                PolicyId = @{ Flag = '--policy-id' }
                Default  = @{ Flag = '--default' }
                Path     = @{ Flag = '--out'; Path = $true }
            }
        }

        # The self-service purchase administration (docs/admin.md): the binary's `users`,
        # `purchase`, `subscriptions`, `licenses`, `centralize` and `notifications`. Their JSON
        # properties are the binary's PascalCase ones as they are. -As is the binary's --as UPN
        # (the user who acts, on a service without sign-in).
        'Get-CommerceSelfServiceSubscription'  = @{
            Command        = @('subscriptions', 'list')
            SetCommands    = @{ Id = @('subscriptions', 'get') }
            TypeName       = 'CommercePolicy.Subscription'
            DateProperties = @('Created', 'ExpiresOn')
            Parameters     = @{
                SubscriptionId = @{ Positional = 'subscription' }
                ProductId      = @{ Flag = '--product-id' }
                Purchaser      = @{ Flag = '--purchaser' }
                Status         = @{ Flag = '--status' }
                SelfService    = @{ Flag = '--self-service'; Switch = $true }
                Since          = @{ Flag = '--since' }
                AllowProduct   = @{ Flag = '--allow-product' }
                As             = @{ Flag = '--as' }
            }
        }
        'Get-CommerceSelfServiceLicense'       = @{
            Command    = @('licenses', 'list')
            TypeName   = 'CommercePolicy.License'
            Parameters = @{
                ProductId   = @{ Flag = '--product-id' }
                SelfService = @{ Flag = '--self-service'; Switch = $true }
                As          = @{ Flag = '--as' }
            }
        }
        'Export-CommerceSelfServiceUser'       = @{
            Command    = @('licenses', 'export')
            TypeName   = 'CommercePolicy.LicenseHolder'
            Parameters = @{
                SubscriptionId = @{ Flag = '--subscription'; Stdin = $true }
                Path           = @{ Flag = '--out'; Path = $true; OutputFormat = 'csv' }
                As             = @{ Flag = '--as' }
            }
        }
        'Move-CommerceSelfServiceUser'         = @{
            Command    = @('subscriptions', 'take-over')
            TypeName   = 'CommercePolicy.Outcome'
            Parameters = @{
                SubscriptionId       = @{ Positional = 'subscription' }
                TargetSubscriptionId = @{ Flag = '--move-to' }
                As                   = @{ Flag = '--as' }
                WhatIf               = @{ Flag = '--what-if'; Switch = $true }
            }
        }
        'Stop-CommerceSelfServiceSubscription' = @{
            # Set TakeOver (an admin): take-over --cancel; set Purchaser (-AsPurchaser): the
            # purchaser cancels their own with `subscriptions cancel`, which has no --what-if.
            Command     = @('subscriptions', 'take-over')
            SetCommands = @{ Purchaser = @('subscriptions', 'cancel') }
            TypeName    = 'CommercePolicy.Outcome'
            Parameters  = @{
                SubscriptionId = @{ Positional = 'subscription' }
                Reason         = @{ Flag = '--reason' }
                ReasonText     = @{ Flag = '--reason-text' }
                As             = @{ Flag = '--as' }
                AsPurchaser    = @{ Unmapped = 'chooses the Purchaser parameter set, and with it the subcommand subscriptions cancel' }
                WhatIf         = @{ Flag = '--what-if'; Switch = $true; Sets = @('TakeOver') }
            }
            Implied     = @{
                Cancel = @{ Flag = '--cancel'; Switch = $true; Sets = @('TakeOver') }
            }
        }
        'Invoke-CommerceLicenseCentralization' = @{
            Command    = @('centralize')
            TypeName   = 'CommercePolicy.Outcome'
            Parameters = @{
                ProductId            = @{ Flag = '--product-id' }
                TargetSubscriptionId = @{ Flag = '--to' }
                As                   = @{ Flag = '--as' }
                WhatIf               = @{ Flag = '--what-if'; Switch = $true }
            }
        }
        'New-CommerceSelfServicePurchase'      = @{
            Command        = @('purchase')
            TypeName       = 'CommercePolicy.Subscription'
            DateProperties = @('Created', 'ExpiresOn')
            Parameters     = @{
                ProductId = @{ Flag = '--product-id' }
                Quantity  = @{ Flag = '--quantity' }
                Trial     = @{ Flag = '--trial'; Switch = $true }
                As        = @{ Flag = '--as' }
            }
        }
        'New-CommerceSubscription'             = @{
            Command        = @('subscriptions', 'add')
            TypeName       = 'CommercePolicy.Subscription'
            DateProperties = @('Created', 'ExpiresOn')
            Parameters     = @{
                ProductId = @{ Flag = '--product-id' }
                Quantity  = @{ Flag = '--quantity' }
                As        = @{ Flag = '--as' }
            }
        }
        'Add-CommerceLicenseAssignment'        = @{
            Command        = @('licenses', 'assign')
            TypeName       = 'CommercePolicy.Subscription'
            DateProperties = @('Created', 'ExpiresOn')
            Parameters     = @{
                SubscriptionId    = @{ Flag = '--subscription' }
                UserPrincipalName = @{ Flag = '--user' }
                As                = @{ Flag = '--as' }
            }
        }
        'Remove-CommerceLicenseAssignment'     = @{
            Command        = @('licenses', 'unassign')
            TypeName       = 'CommercePolicy.Subscription'
            DateProperties = @('Created', 'ExpiresOn')
            Parameters     = @{
                SubscriptionId    = @{ Flag = '--subscription' }
                UserPrincipalName = @{ Flag = '--user' }
                As                = @{ Flag = '--as' }
            }
        }
        'Get-CommerceUser'                     = @{
            Command    = @('users', 'list')
            TypeName   = 'CommercePolicy.User'
            Parameters = @{
                As = @{ Flag = '--as' }
            }
        }
        'New-CommerceUser'                     = @{
            Command    = @('users', 'add')
            TypeName   = 'CommercePolicy.User'
            Parameters = @{
                UserPrincipalName = @{ Flag = '--upn' }
                DisplayName       = @{ Flag = '--display-name' }
                Mail              = @{ Flag = '--mail' }
                As                = @{ Flag = '--as' }
            }
        }
        'Import-CommerceUser'                  = @{
            Command    = @('users', 'import')
            TypeName   = 'CommercePolicy.User'
            Parameters = @{
                Path = @{ Positional = 'file'; Path = $true }
                As   = @{ Flag = '--as' }
            }
        }
        'Get-CommerceNotification'             = @{
            Command        = @('notifications', 'list')
            TypeName       = 'CommercePolicy.Notification'
            DateProperties = @('Created', 'Delivered')
            Parameters     = @{
                As = @{ Flag = '--as' }
            }
        }
    }

    # Flags added to calls: the module always asks for JSON, and for its log lines (warnings
    # always; with -Verbose every request with its correlation id) as JSON objects on stderr.
    InvariantFlags    = @{
        Output            = @('--output', 'json')
        LogFormat         = @('--log-format', 'json')
        Verbose           = @('--verbose')
        RequireConnection = @('--require-connection')
    }

    # What Connect-MSCommerce keeps for this session, applied to every call; these flags are
    # global flags of the binary. Only where requests go and a ready token, never a sign-in
    # parameter (the binary remembers its connection itself).
    SessionParameters = @{
        Endpoint    = @{ Flag = '--endpoint' }
        AccessToken = @{ Flag = '--access-token'; Env = 'COMMERCE_POLICY_ACCESS_TOKEN' }
    }

    # The binary's exit codes (DESIGN.md) as error records: the id, the category, and the .NET
    # exception type under the record (types that Windows PowerShell 5.1 and PowerShell 7 both
    # have, so that `catch [System.UnauthorizedAccessException]` works in either).
    ExitCodes         = @{
        1   = @{ ErrorId = 'CommercePolicyFailed'; Category = 'NotSpecified'; Exception = 'System.Management.Automation.RuntimeException' }
        2   = @{ ErrorId = 'CommercePolicyBadRequest'; Category = 'InvalidArgument'; Exception = 'System.ArgumentException' }
        3   = @{ ErrorId = 'CommercePolicyNotSignedIn'; Category = 'AuthenticationError'; Exception = 'System.Security.Authentication.AuthenticationException' }
        4   = @{ ErrorId = 'CommercePolicyForbidden'; Category = 'PermissionDenied'; Exception = 'System.UnauthorizedAccessException' }
        5   = @{ ErrorId = 'CommercePolicyNotFound'; Category = 'ObjectNotFound'; Exception = 'System.Management.Automation.ItemNotFoundException' }
        6   = @{ ErrorId = 'CommercePolicyConflict'; Category = 'ResourceBusy'; Exception = 'System.InvalidOperationException' }
        7   = @{ ErrorId = 'CommercePolicyUnavailable'; Category = 'ConnectionError'; Exception = 'System.Net.WebException' }
        # Ctrl-C stopped a batch: the results so far were printed, the rest marked NotAttempted.
        130 = @{ ErrorId = 'CommercePolicyInterrupted'; Category = 'OperationStopped'; Exception = 'System.OperationCanceledException' }
    }

    # The binary's exit code when the service differs from a baseline (plan --detailed-exitcode).
    DriftExitCode     = 8

    # What an AuthenticationError of an MSCommerce-named cmdlet tells the person to do.
    NotConnectedAction = 'Run Connect-MSCommerce to sign in to a tenant, or Connect-MSCommerce -Endpoint local to use the embedded local store.'

    # Tab completion asks the service at most this long, then completes nothing.
    CompletionTimeoutMilliseconds = 1000
}
