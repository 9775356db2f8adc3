# lync.hybrid runner: executes one request sent by a lync.hybrid action plugin.
# It is generic on purpose: it imports modules, opens and always closes one online
# session, runs the listed cmdlets and reports their output and error records as
# JSON. Every decision (what to call, with which parameters, what the output means)
# is made by the action plugin on the controller. Windows PowerShell 3.0-5.1.
param([Parameter(Mandatory = $true)] $Request, $Stdin)

# Module code reads preferences from the global scope: keep its non-terminating errors
# non-terminating there, and keep progress records off the WinRS streams.
$global:ErrorActionPreference = 'Continue'
$global:ProgressPreference = 'SilentlyContinue'
$ErrorActionPreference = 'Stop'
$Marker = '#LYNC-HYBRID-RESULT#'
# stdin's lines as the bootstrap read them: the request, then one line per secret (Get-LhSecret).
$SecretLines = @($Stdin)
$NamePattern = '^[A-Za-z]+-[A-Za-z0-9]+\z'
$ParameterPattern = '^[A-Za-z][A-Za-z0-9]*\z'

function ConvertTo-LhPlain {
    # Output objects become JSON-safe values: nested objects are flattened to
    # strings so that the controller sees the same shape on every host.
    param($Value, [int]$Depth = 1)
    if ($null -eq $Value) { return $null }
    if ($Value -is [string] -or $Value -is [char] -or $Value -is [guid] -or $Value -is [version] -or $Value -is [uri]) {
        return [string]$Value
    }
    if ($Value -is [enum]) { return $Value.ToString() }
    if ($Value -is [datetime]) { return $Value.ToUniversalTime().ToString('o') }
    if ($Value -is [timespan]) { return $Value.TotalSeconds }
    if ($Value -is [System.Security.SecureString]) { return '********' }
    if ($Value.GetType().IsPrimitive -or $Value -is [decimal]) { return $Value }
    if ($Value -is [System.Collections.IDictionary]) {
        $table = [ordered]@{}
        foreach ($entry in $Value.GetEnumerator()) {
            $table[[string]$entry.Key] = ConvertTo-LhPlain -Value $entry.Value -Depth ($Depth - 1)
        }
        return $table
    }
    if ($Value -is [System.Collections.IEnumerable]) {
        $items = New-Object System.Collections.ArrayList
        foreach ($item in $Value) { [void]$items.Add((ConvertTo-LhPlain -Value $item -Depth ($Depth - 1))) }
        return , $items.ToArray()
    }
    if ($Depth -le 0) { return [string]$Value }
    $table = [ordered]@{}
    foreach ($property in $Value.PSObject.Properties) {
        # A property getter that throws must not lose the whole object.
        $item = $null
        try { $item = $property.Value } catch { $item = $null }
        $table[$property.Name] = ConvertTo-LhPlain -Value $item -Depth ($Depth - 1)
    }
    return $table
}

function Select-LhOutput {
    param($Objects, $Select)
    $rows = New-Object System.Collections.ArrayList
    foreach ($object in @($Objects)) {
        if ($null -eq $object) { continue }
        if ($null -ne $Select) { $object = $object | Select-Object -Property @($Select) }
        [void]$rows.Add((ConvertTo-LhPlain -Value $object -Depth 1))
    }
    return , $rows.ToArray()
}

function ConvertTo-LhError {
    param($Record)
    [ordered]@{
        message   = [string]$Record.Exception.Message
        fqid      = [string]$Record.FullyQualifiedErrorId
        category  = [string]$Record.CategoryInfo.Category
        exception = $Record.Exception.GetType().FullName
        target    = [string]$Record.TargetObject
    }
}

function ConvertTo-LhSecureString {
    # Built character by character: ConvertTo-SecureString -AsPlainText would put the
    # plain text in PowerShell module logging (event 4103) on hosts that enable it.
    param([string]$Plain)
    $secure = New-Object System.Security.SecureString
    foreach ($char in $Plain.ToCharArray()) { $secure.AppendChar($char) }
    $secure.MakeReadOnly()
    return $secure
}

function Get-LhSecret {
    # {"$secret": n} is line n + 2 of stdin: base64 of one byte 0x01 (so that no line is
    # empty) and the secret's UTF-8. Decoded with .NET calls only: a secret given to any
    # cmdlet (parameter or pipeline input) is in module logging (event 4103).
    param($Reference)
    $index = -1
    foreach ($property in $Reference.PSObject.Properties) { if ($property.Name -eq '$secret') { $index = [int]$property.Value } }
    if ($index -lt 0 -or $index + 1 -ge $SecretLines.Count) { throw 'A secret reference has no secret on stdin.' }
    $bytes = [Convert]::FromBase64String($SecretLines[$index + 1])
    $plain = [Text.Encoding]::UTF8.GetString($bytes, 1, $bytes.Length - 1)
    return ConvertTo-LhSecureString -Plain $plain
}

function ConvertTo-LhArgument {
    # JSON cannot carry a credential: the controller marks one as an object with the
    # single key '$credential' (or '$secure' for a bare SecureString). No pipeline here:
    # Properties or items piped to a cmdlet would be logged with their values.
    param($Value)
    if ($Value -is [System.Management.Automation.PSCustomObject]) {
        foreach ($property in $Value.PSObject.Properties) {
            if ($property.Name -eq '$credential') {
                $secret = Get-LhSecret -Reference $Value.'$credential'.password
                return New-Object System.Management.Automation.PSCredential($Value.'$credential'.username, $secret)
            }
            if ($property.Name -eq '$secure') { return Get-LhSecret -Reference $Value.'$secure' }
        }
    }
    if ($Value -is [System.Array]) {
        $converted = New-Object System.Collections.ArrayList
        foreach ($item in $Value) { [void]$converted.Add((ConvertTo-LhArgument -Value $item)) }
        return , $converted.ToArray()
    }
    return $Value
}

function ConvertTo-LhParameters {
    param($Parameters)
    $table = @{}
    if ($null -eq $Parameters) { return $table }
    foreach ($property in $Parameters.PSObject.Properties) {
        if ($property.Name -notmatch $ParameterPattern) { throw "Invalid parameter name '$($property.Name)'." }
        $table[$property.Name] = ConvertTo-LhArgument -Value $property.Value
    }
    return $table
}

function Assert-LhName {
    param([string]$Name)
    if ($Name -notmatch $NamePattern) { throw "Invalid command name '$Name'." }
}

function Get-LhDriftParameters {
    # Only the values that differ from what an earlier step read are sent, so a
    # Set never rewrites a property the caller did not ask to change.
    param($Drift, $Results)
    $drifted = @{}
    $earlier = $Results | Where-Object { $_.id -eq $Drift.step } | Select-Object -First 1
    $current = $null
    if ($null -ne $earlier -and $earlier.output.Count -gt 0) { $current = $earlier.output[0] }
    if ($null -ne $current -and -not ($current -is [System.Collections.IDictionary])) {
        throw "Step '$($Drift.step)' returned no object to compare with."
    }
    foreach ($property in $Drift.values.PSObject.Properties) {
        if ($property.Name -notmatch $ParameterPattern) { throw "Invalid parameter name '$($property.Name)'." }
        $now = $null
        if ($null -ne $current) { $now = $current[$property.Name] }
        # ConvertTo-Json writes nothing for $null, and -ne ignores case: compare exactly.
        $nowJson = 'null'
        if ($null -ne $now) { $nowJson = ConvertTo-Json -InputObject $now -Compress -Depth 5 }
        $wantJson = 'null'
        if ($null -ne $property.Value) { $wantJson = ConvertTo-Json -InputObject $property.Value -Compress -Depth 5 }
        if ($nowJson -cne $wantJson) { $drifted[$property.Name] = $property.Value }
    }
    return $drifted
}

function Invoke-LhEach {
    # One call per value that an earlier step returned, each value bound to one parameter.
    # A failing call costs only its own item (reported with the item as its target): in
    # Windows PowerShell 5.1 one malformed registry value stops a wildcard Get-ItemProperty
    # over every Uninstall key, while a call per key loses only that key.
    param($Each, [string]$Command, $Parameters, $Select, $Results, $Failures, $Tally)
    if ($Each.parameter -notmatch $ParameterPattern) { throw "Invalid parameter name '$($Each.parameter)'." }
    $collected = New-Object System.Collections.ArrayList
    $earlier = $Results | Where-Object { $_.id -eq $Each.step } | Select-Object -First 1
    # No items because the listing failed must not read as "no items".
    if ($null -eq $earlier -or $earlier.status -ne 'ok') { throw "Step '$($Each.step)' returned no items to take." }
    foreach ($row in @($earlier.output)) {
        if (-not ($row -is [System.Collections.IDictionary])) { continue }
        $item = $row[$Each.property]
        if ($null -eq $item) { continue }
        $Parameters[$Each.parameter] = $item
        $Tally['calls'] = $Tally['calls'] + 1
        try {
            $output = & $Command @Parameters -ErrorAction Stop
            foreach ($object in @($output)) { [void]$collected.Add($object) }
        }
        catch {
            $failure = ConvertTo-LhError -Record $_
            $failure.target = [string]$item
            [void]$Failures.Add($failure)
        }
    }
    return Select-LhOutput -Objects $collected.ToArray() -Select $Select
}

function Invoke-LhStep {
    # A step the runner refuses (bad name, bad parameter, nothing to compare) is
    # reported as that step's error, like a failing cmdlet.
    param($Step, $Results, [string]$OnlinePrefix)
    $result = [ordered]@{ id = $Step.id; status = 'ok'; output = @(); error = $null; sent = @() }
    try {
        Assert-LhName -Name $Step.cmdlet
        $parameters = ConvertTo-LhParameters -Parameters $Step.params
        if ($null -ne $Step.when_differs) {
            $drifted = Get-LhDriftParameters -Drift $Step.when_differs -Results $Results
            if ($drifted.Count -eq 0) { $result.status = 'skipped'; return $result }
            foreach ($key in $drifted.Keys) { $parameters[$key] = $drifted[$key] }
        }
        $command = $Step.cmdlet
        if ($Step.scope -eq 'online' -and $OnlinePrefix) {
            $verb, $noun = $command.Split('-', 2)
            $command = "$verb-$OnlinePrefix$noun"
        }
        $result.sent = @($parameters.Keys | Sort-Object)
        if ($null -ne $Step.for_each) {
            $failures = New-Object System.Collections.ArrayList
            $tally = @{ calls = 0 }
            $result.output = Invoke-LhEach -Each $Step.for_each -Command $command -Parameters $parameters -Select $Step.select -Results $Results -Failures $failures -Tally $tally
            $result.item_errors = $failures.ToArray()
            $result.sent = @($parameters.Keys | Sort-Object)
            # Not one call succeeded: the command cannot run here at all (missing, or its parameters refused),
            # and an empty answer must not read as "no items". One failing item among others stays per item.
            if ($tally['calls'] -gt 0 -and $failures.Count -eq $tally['calls']) {
                $result.status = 'error'
                $result.error = $failures[0]
            }
        }
        else {
            $output = & $command @parameters -ErrorAction Stop
            $result.output = Select-LhOutput -Objects $output -Select $Step.select
        }
    }
    catch {
        $result.status = 'error'
        $result.error = ConvertTo-LhError -Record $_
    }
    return $result
}

function Enable-LhTls12 {
    # TLS 1.2 for this process, for every request rather than only before a gallery step: the runner
    # cannot tell which cmdlet opens a connection, and the PowerShell Gallery, the NuGet provider
    # download, the sign-in of Connect-MicrosoftTeams and Move-CsUser all need TLS 1.2. Windows
    # PowerShell on .NET Framework 4.x without strong crypto (SchUseStrongCrypto) offers SSL 3.0 and
    # TLS 1.0 only. Tls12 (3072) is added to what the process allows, never replaces it, and ends with
    # the process. SystemDefault (0) is left alone: there SChannel's client settings choose (TLS 1.2
    # on 2012 R2 and later; on 2008 R2 only once enabled in SChannel). 3072 is written as a number because [Net.SecurityProtocolType] names Tls12 only from
    # .NET Framework 4.5; on a host without it the setter throws, which is reported, not fatal.
    $state = [ordered]@{ protocols = $null; error = $null }
    try {
        $current = [Net.ServicePointManager]::SecurityProtocol
        if ([int]$current -ne 0 -and ([int]$current -band 3072) -eq 0) {
            [Net.ServicePointManager]::SecurityProtocol = $current -bor 3072
        }
        $state.protocols = [string][Net.ServicePointManager]::SecurityProtocol
    }
    catch {
        $state.error = ConvertTo-LhError -Record $_
    }
    return $state
}

function New-LhFailure {
    param([string]$Message, [string]$Fqid, [string]$Target, [string]$Category = 'ObjectNotFound', [string]$Stage = 'online')
    [ordered]@{ stage = $Stage; message = $Message; fqid = $Fqid; category = $Category; exception = ''; target = $Target }
}

function Find-LhCertificate {
    # LocalMachine\My first, then CurrentUser\My. Connect-MicrosoftTeams -CertificateThumbprint looks in
    # the current user's store only, and over a WinRM network logon a private key kept in the user's
    # profile is often unusable (DPAPI has no loaded profile), so a machine-store key is preferred. The
    # first copy with a private key wins; a copy without one is returned only when no copy has a key.
    param([string]$Thumbprint, $Locations = @('LocalMachine', 'CurrentUser'))
    $keyless = $null
    foreach ($location in $Locations) {
        $store = New-Object System.Security.Cryptography.X509Certificates.X509Store('My', [System.Security.Cryptography.X509Certificates.StoreLocation]$location)
        $found = $null
        try {
            $store.Open('ReadOnly')
            foreach ($certificate in $store.Certificates) {
                if ($certificate.Thumbprint -eq $Thumbprint) { $found = $certificate }
            }
        }
        finally {
            # Close(), not Dispose(): X509Store implements IDisposable only from .NET Framework 4.6.
            $store.Close()
        }
        if ($null -ne $found) {
            $copy = [ordered]@{ certificate = $found; store = "$location\My" }
            if ($found.HasPrivateKey) { return $copy }
            if ($null -eq $keyless) { $keyless = $copy }
        }
    }
    return $keyless
}

function Test-LhCertificateKey {
    # A failure record for a copy without its private key, else $null.
    param([string]$Thumbprint, $Found)
    if ($Found.certificate.HasPrivateKey) { return $null }
    return New-LhFailure -Message "Certificate $Thumbprint in Cert:\$($Found.store) has no private key." -Fqid 'LyncHybrid.CertificatePrivateKeyMissing' -Target $Thumbprint -Category 'PermissionDenied'
}

function Add-LhCertificate {
    # The certificate object goes to -Certificate when the imported module's connect cmdlet has it
    # (MicrosoftTeams 4.9.2-preview and later); older versions get -CertificateThumbprint, which they
    # resolve in CurrentUser\My themselves, so there only the current user's copy counts. The module's
    # ExportedCommands answer what Get-Command would, with no further command run. Returns a failure
    # record, or $null when the parameter is set.
    param([string]$Thumbprint, [string]$Command, $Module, $Parameters, $State)
    $found = Find-LhCertificate -Thumbprint $Thumbprint
    if ($null -eq $found) {
        return New-LhFailure -Message "Certificate $Thumbprint is not in Cert:\LocalMachine\My or Cert:\CurrentUser\My." -Fqid 'LyncHybrid.CertificateNotFound' -Target $Thumbprint
    }
    $connect = $Module.ExportedCommands[$Command]
    $parameter = 'Certificate'
    if ($null -eq $connect -or -not $connect.Parameters.ContainsKey('Certificate')) {
        $parameter = 'CertificateThumbprint'
        # A copy found only in the machine store would fail inside the connect cmdlet with a message that
        # reads like a tenant problem: say what is wrong before any logon.
        $found = Find-LhCertificate -Thumbprint $Thumbprint -Locations @('CurrentUser')
        if ($null -eq $found) {
            return New-LhFailure -Message "$($Module.Name) $($Module.Version) has no -Certificate; Cert:\CurrentUser\My lacks $Thumbprint." -Fqid 'LyncHybrid.CertificateNeedsUserStore' -Target $Thumbprint -Category 'InvalidOperation'
        }
    }
    $failure = Test-LhCertificateKey -Thumbprint $Thumbprint -Found $found
    if ($null -ne $failure) { return $failure }
    if ($parameter -eq 'Certificate') { $Parameters['Certificate'] = $found.certificate }
    else { $Parameters['CertificateThumbprint'] = $found.certificate.Thumbprint }
    $State.certificate_parameter = $parameter
    $State.certificate_store = $found.store
    return $null
}

function Select-LhOnline {
    # The controller lists the connectors it accepts, best first; the first one
    # installed on this host is used, so connector=auto costs no extra command.
    param($Candidates)
    foreach ($candidate in @($Candidates)) {
        if (@(Get-Module -ListAvailable -Name $candidate.module).Count -gt 0) { return $candidate }
    }
    return $null
}

function Open-LhOnline {
    # Legacy connectors hand back a PSSession that is imported under a prefix, so
    # online proxies never clobber the on-premises cmdlets of the same name. Returns a
    # failure record when the logon cannot even be attempted, else $null.
    param($Online, $State)
    $State.module = $Online.module
    Import-Module -Name $Online.module -ErrorAction Stop
    $module = Get-Module -Name $Online.module | Select-Object -First 1
    $State.module_version = [string]$module.Version
    Assert-LhName -Name $Online.connect.cmdlet
    $parameters = ConvertTo-LhParameters -Parameters $Online.connect.params
    if ($null -ne $Online.certificate) {
        $failure = Add-LhCertificate -Thumbprint $Online.certificate -Command $Online.connect.cmdlet -Module $module -Parameters $parameters -State $State
        if ($null -ne $failure) { return $failure }
    }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $connection = & $Online.connect.cmdlet @parameters -ErrorAction Stop
    if ($Online.import_session) {
        if (-not ($connection -is [System.Management.Automation.Runspaces.PSSession])) {
            throw "$($Online.connect.cmdlet) returned no PSSession to import."
        }
        $State.session = $connection
        # A requested command the endpoint lacks is reported by the step that calls it, not here.
        Import-PSSession -Session $connection -Prefix $Online.prefix -CommandName @($Online.commands) -AllowClobber -DisableNameChecking -ErrorAction SilentlyContinue | Out-Null
    }
    $State.connected = $true
    $State.seconds = [math]::Round($clock.Elapsed.TotalSeconds, 3)
    return $null
}

function Close-LhOnline {
    # Runs in the main finally block: whatever happens here is reported, never thrown,
    # so the response is always printed.
    param($Online, $State)
    try {
        if ($null -ne $State.session) {
            Remove-PSSession -Session $State.session -ErrorAction Stop
            $State.closed = $true
        }
        elseif ($State.connected -and $Online.disconnect) {
            Assert-LhName -Name $Online.disconnect
            & $Online.disconnect -ErrorAction Stop | Out-Null
            $State.closed = $true
        }
    }
    catch {
        $State.close_error = ConvertTo-LhError -Record $_
    }
}

$response = [ordered]@{
    protocol   = 1
    ps_version = [string]$PSVersionTable.PSVersion
    tls        = $null
    onprem     = $null
    online     = $null
    steps      = @()
    error      = $null
}
$online = [ordered]@{ module = $null; connected = $false; closed = $false; module_version = $null; seconds = $null; session = $null; close_error = $null; certificate_store = $null; certificate_parameter = $null }
$results = New-Object System.Collections.ArrayList
$chosen = $null
$stage = 'onprem'
try {
    $response.tls = Enable-LhTls12
    if ($null -ne $Request.onprem_modules) {
        $available = @(Get-Module -ListAvailable -Name @($Request.onprem_modules) | Sort-Object -Property Version -Descending)
        if ($available.Count -eq 0) {
            $response.error = New-LhFailure -Message 'No on-premises management module found.' -Fqid 'LyncHybrid.OnPremModuleMissing' -Target ($Request.onprem_modules -join ',') -Stage 'onprem'
        }
        else {
            Import-Module -Name $available[0].Name -ErrorAction Stop
            $response.onprem = [ordered]@{ name = $available[0].Name; version = [string]$available[0].Version }
        }
    }
    if ($null -eq $response.error -and $null -ne $Request.online) {
        $stage = 'online'
        $chosen = Select-LhOnline -Candidates $Request.online
        if ($null -eq $chosen) {
            $names = @($Request.online | ForEach-Object { $_.module }) -join ', '
            $response.error = New-LhFailure -Message "No online connector module is installed ($names)." -Fqid 'LyncHybrid.ConnectorMissing' -Target $names
        }
        else {
            $failure = Open-LhOnline -Online $chosen -State $online
            # Only a failure record counts: a stray object written by a connect cmdlet is not a failure.
            if ($failure -is [System.Collections.IDictionary]) { $response.error = $failure }
        }
    }
    if ($null -eq $response.error) {
        $stage = 'steps'
        $prefix = $null
        if ($null -ne $chosen -and $chosen.import_session) { $prefix = $chosen.prefix }
        $stopped = $false
        foreach ($step in @($Request.steps | Where-Object { $null -ne $_ })) {
            if ($stopped) { [void]$results.Add([ordered]@{ id = $step.id; status = 'not_run'; output = @(); error = $null; sent = @() }); continue }
            $stepResult = Invoke-LhStep -Step $step -Results $results -OnlinePrefix $prefix
            [void]$results.Add($stepResult)
            if ($stepResult.status -eq 'error' -and -not $step.continue_on_error) { $stopped = $true }
        }
    }
}
catch {
    $failure = ConvertTo-LhError -Record $_
    $failure.stage = $stage
    $response.error = $failure
}
finally {
    if ($null -ne $chosen) { Close-LhOnline -Online $chosen -State $online }
}
$online.Remove('session')
if ($null -ne $Request.online) { $response.online = $online }
$response.steps = $results.ToArray()
$json = ConvertTo-Json -InputObject $response -Depth 8 -Compress
# ASCII only, and no '#' so that no returned text can look like the marker.
$json = [regex]::Replace($json, '[^\x00-\x7F]|#', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
Write-Output ($Marker + $json)
