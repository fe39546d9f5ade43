package dev.kavach.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import dev.kavach.api.Availability;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendProvider;
import dev.kavach.api.BackendUnavailableException;
import dev.kavach.api.CommandExtension;
import dev.kavach.api.ConfigurationException;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.Progress;
import dev.kavach.api.ProbeCheck;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.SandboxStateException;
import dev.kavach.api.process.HostProbeCache;
import dev.kavach.core.config.BackendKeys;
import dev.kavach.core.config.ClosestMatch;
import dev.kavach.core.config.ConfigStack;
import dev.kavach.core.config.SettingsReader;
import dev.kavach.core.discovery.BackendRegistry;
import dev.kavach.core.discovery.BackendRegistry.Registered;
import dev.kavach.core.discovery.ServiceProviders;
import dev.kavach.core.plugin.LoadedPlugin;
import dev.kavach.core.plugin.PluginDefaults;
import dev.kavach.core.plugin.PluginDiagnosticLog;
import dev.kavach.core.plugin.PluginLoader;
import dev.kavach.core.plugin.PluginSet;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Kavach's entry point for embedders and the CLI: loads and validates configuration, discovers backends on
 * the module path (or classpath) and in the plugins directory, selects a backend and opens sandboxes.
 * {@link #create(KavachOptions)} reads only what it is given; the {@code kavach} command passes
 * {@link KavachOptions#fromEnvironment()}. A request that sets no policy of its own runs under the
 * configured one ({@link #policy()}).
 *
 * <pre>{@code
 * try (Kavach kavach = Kavach.create(KavachOptions.builtIn().withConfigFile(Path.of("/etc/myapp/kavach.conf")))) {
 *     ExecResult once = kavach.run("uname", "-a");          // opens the configured backend, runs, closes
 *     try (Sandbox sandbox = kavach.open()) {               // or one sandbox for many commands
 *         ExecResult result = sandbox.exec(ExecRequest.of("uname", "-a"));
 *     }
 * }
 * }</pre>
 *
 * <p>Threads: a {@code Kavach} and its sandboxes may be used from many threads at once. {@code exec} blocks
 * until the command ends, waiting on the command's process and pipes (or its VM or pod): run one exec per
 * virtual thread ({@code Executors.newVirtualThreadPerTaskExecutor()}) for many at once, or use
 * {@link Sandbox#execAsync} for a {@code CompletableFuture}. On JDK 24+ a virtual thread waiting for a
 * process releases its carrier; on JDK 21 to 23 that wait pins the carrier and the JDK adds carriers to
 * compensate (up to {@code jdk.virtualThreadScheduler.maxPoolSize}, 256 by default).
 */
public final class Kavach implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Kavach.class);
    private final String version;
    private final Config config;
    private final SettingsReader reader;
    private final KavachSettings settings;
    private final BackendRegistry registry;
    private final PluginSet plugins;
    private final PluginDiagnosticLog diagnostics;
    private final Optional<ConfigurationException> unknownBackends;
    private final Progress progress;
    private final Set<Sandbox> openSandboxes = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private Kavach(String version, Config config, SettingsReader reader, KavachSettings settings, BackendRegistry registry,
                   PluginSet plugins, PluginDiagnosticLog diagnostics, Optional<ConfigurationException> unknownBackends, Progress progress) {
        this.version = version;
        this.config = config;
        this.reader = reader;
        this.settings = settings;
        this.registry = registry;
        this.plugins = plugins;
        this.diagnostics = diagnostics;
        this.unknownBackends = unknownBackends;
        this.progress = progress;
    }

    /** Kavach with its built-in defaults alone: {@code create(KavachOptions.builtIn())}. */
    public static Kavach create() {
        return create(KavachOptions.builtIn());
    }

    /**
     * Kavach as the {@code kavach} command loads it: {@code options} plus the implicit sources
     * ({@code $KAVACH_CONFIG} or {@code ./kavach.conf}, {@code -Dkavach.*}, {@code ./plugins}).
     *
     * @deprecated reading the process's surroundings is now an explicit choice: use
     *             {@code create(KavachOptions.fromEnvironment())}, or {@link #create(KavachOptions)} with the
     *             sources you mean
     */
    @Deprecated(since = "0.2.0")
    public static Kavach load(KavachOptions options) {
        requireNonNull(options, "options is null");
        return create(new KavachOptions(options.configFile(), options.overrides(), options.environment(), options.workingDirectory(),
                true, options.progress()));
    }

    /**
     * Reads and validates the configuration {@code options} give, and nothing else (see
     * {@link KavachOptions#implicitSources()}), and discovers every backend and plugin. Bad plugins do not fail
     * this: they show up in {@link #plugins()}. Nor does a backend id that names no discovered backend (in
     * {@code kavach.backend}, {@code kavach.fallback} or {@code kavach.backends.<id>}), typically that of a
     * plugin that failed to load: {@link #plugins()}, {@link #backends()} and {@link #renderConfig()} are how
     * a user finds out why, so only {@link #select}, {@link #open} and {@link #commandLine} refuse it.
     *
     * @throws ConfigurationException when a setting is unknown or malformed
     */
    public static Kavach create(KavachOptions options) {
        requireNonNull(options, "options is null");
        String version = KavachVersion.read();
        ClassLoader hostLoader = Kavach.class.getClassLoader();
        ConfigStack stack = ConfigStack.read(options, hostLoader);
        LOG.debug("configuration file: {}", stack.userFilePath().map(Path::toString).orElse("none"));
        // The plugins directory is needed before the plugins' own reference.conf files can be merged.
        Optional<Path> pluginsDir = new SettingsReader(stack.resolve(List.of())).pluginsDir(options.workingDirectory());
        long started = System.nanoTime();
        // What the plugins' JARs say is remembered in the cache of the environment Kavach was given (the user's,
        // for the kavach command), so that a start does not open every JAR of every plugin again.
        PluginSet plugins = pluginsDir.map(PluginLoader.forHost(Kavach.class, version, HostProbeCache.ofEnvironment(options.environment()))::load)
                .orElseGet(PluginSet::none);
        if (LOG.isDebugEnabled()) {
            long deferred = plugins.plugins().stream().filter(LoadedPlugin::deferred).count();
            LOG.debug("plugins directory {}: {} loaded, {} deferred until one of their backends is needed, {} failed, in {} ms",
                    pluginsDir.map(Path::toString).orElse("(none configured)"), plugins.plugins().size() - plugins.failed().size() - deferred,
                    deferred, plugins.failed().size(), (System.nanoTime() - started) / 1_000_000);
        }
        try {
            PluginDiagnosticLog diagnostics = new PluginDiagnosticLog();
            BackendRegistry registry = new BackendRegistry(
                    ServiceProviders.instantiate(hostServices(BackendProvider.class, hostLoader), type -> true),
                    ServiceProviders.instantiate(hostServices(CommandExtension.class, hostLoader), type -> true),
                    plugins.plugins(), diagnostics);
            List<Config> pluginDefaults = new ArrayList<>();
            for (LoadedPlugin plugin : plugins.plugins()) {
                if (registry.contributed(plugin)) { // a plugin that contributed nothing has no defaults to give
                    pluginDefaults.add(PluginDefaults.allowed(plugin, registry.idsOf(plugin), diagnostics));
                }
            }
            Config config = stack.resolve(pluginDefaults);
            Config references = stack.references(pluginDefaults);
            Map<String, BackendKeys> declared = new LinkedHashMap<>();
            for (String id : registry.ids()) {
                declared.put(id, BackendKeys.declaredIn(references, id));
            }
            SettingsReader reader = new SettingsReader(config);
            KavachSettings settings = reader.read(declared, options.workingDirectory());
            Optional<ConfigurationException> unknownBackends = reader.unknownBackends(registry.ids(), failedPluginsHint(plugins));
            LOG.debug("backends found: {}; kavach.backend = {}", registry.ids(), settings.backend());
            return new Kavach(version, config, reader, settings, registry, plugins, diagnostics, unknownBackends, options.progress());
        } catch (RuntimeException e) {
            plugins.close();
            throw e;
        }
    }

    /** Providers on the host's module layer (Kavach on the module path) or class loader (Kavach on the classpath). */
    private static <S> ServiceLoader<S> hostServices(Class<S> service, ClassLoader hostLoader) {
        Module module = Kavach.class.getModule();
        if (module.isNamed() && module.getLayer() != null) {
            return ServiceLoader.load(module.getLayer(), service);
        }
        return ServiceLoader.load(service, hostLoader);
    }

    private static String failedPluginsHint(PluginSet plugins) {
        List<String> failed = plugins.failed().stream()
                .map(p -> p.diagnostics().isEmpty() ? p.path().getFileName().toString() : p.diagnostics().get(0).describe())
                .toList();
        return failed.isEmpty() ? "" : "plugins that failed to load: " + String.join("; ", failed);
    }

    /** Kavach's real version, e.g. {@code "0.1.0"}. */
    public String version() {
        return version;
    }

    public KavachSettings settings() {
        return settings;
    }

    /** Every discovered backend, built-ins first, each probed once (on first call) and cached. */
    public List<BackendEntry> backends() {
        return registry.backends().stream().map(this::entry).toList();
    }

    /** Every JAR and folder in the plugins directory, loaded or not, with its diagnostics. */
    public List<PluginReport> plugins() {
        backends(); // probe failures of plugin backends become diagnostics of their plugin
        List<PluginReport> reports = new ArrayList<>();
        for (LoadedPlugin plugin : plugins.plugins()) {
            boolean loaded = !plugin.failed() && registry.contributed(plugin);
            reports.add(new PluginReport(plugin.path(), plugin.pluginId(), plugin.version(), loaded ? PluginState.LOADED : PluginState.FAILED,
                    registry.idsOf(plugin), diagnostics.of(plugin)));
        }
        reports.sort(Comparator.comparing(PluginReport::path));
        return List.copyOf(reports);
    }

    /** Command extensions from the module path and plugins. */
    public List<ExtensionEntry> extensions() {
        return registry.extensions();
    }

    /** The effective {@code kavach} tree in HOCON, each value preceded by a comment saying where it was set. */
    public String renderConfig() {
        return config.withOnlyPath("kavach").root()
                .render(ConfigRenderOptions.defaults().setOriginComments(true).setComments(false).setJson(false));
    }

    /** Every effective setting under {@code kavach}, sorted by key, with its value as JSON and its origin. */
    public List<ConfigSetting> configSettings() {
        List<ConfigSetting> settings = new ArrayList<>();
        for (var entry : config.withOnlyPath("kavach").entrySet()) {
            settings.add(new ConfigSetting(entry.getKey(), entry.getValue().render(ConfigRenderOptions.concise()),
                    entry.getValue().origin().description()));
        }
        settings.sort(Comparator.comparing(ConfigSetting::key));
        return List.copyOf(settings);
    }

    /**
     * The backend named {@code backendId}, which must be available (no fallback: the caller asked for that one).
     *
     * @throws ConfigurationException      when the id is unknown
     * @throws BackendUnavailableException when it is not available here, with every reason and fix
     */
    public BackendEntry select(String backendId) {
        requireId(backendId, "select()");
        if (unknownBackends.isPresent()) {
            throw fresh(unknownBackends.get());
        }
        BackendEntry entry = known(backendId, "the requested backend");
        if (!entry.availability().available()) {
            throw new BackendUnavailableException(entry.id(), entry.availability(), availableIds());
        }
        return entry;
    }

    /**
     * The configured backend: {@code kavach.backend} ({@code auto}: the strongest available, never strength 0),
     * then the first available of {@code kavach.fallback}.
     *
     * @throws ConfigurationException      when a configured id is unknown
     * @throws BackendUnavailableException when nothing suitable is available; for {@code auto} in one line
     *                                     that names the fix ({@code kavach backends} lists every reason)
     */
    public BackendEntry select() {
        if (unknownBackends.isPresent()) {
            throw fresh(unknownBackends.get());
        }
        String configured = settings.backend();
        Availability why;
        String wanted;
        List<BackendEntry> tried = new ArrayList<>();
        if (KavachSettings.AUTO.equals(configured)) {
            // Strongest first, probing only until one is available: backends ranked below the winner are
            // never probed (each probe may start processes, e.g. QEMU's --version), and a deferred plugin's
            // backend whose declared needs are unmet is passed over without loading the plugin at all.
            for (BackendRegistry.Candidate candidate : registry.ranked()) {
                if (candidate.declaration().isPresent()) {
                    Optional<String> unmet = unmetNeed(candidate);
                    if (unmet.isPresent()) {
                        LOG.debug("kavach.backend = auto: '{}' cannot be available ({}), so {} is not loaded for it", candidate.id(),
                                unmet.get(), candidate.origin().describe());
                        continue;
                    }
                }
                Optional<Registered> backend = registry.backend(candidate.id());
                if (backend.isEmpty()) {
                    continue; // its deferred plugin failed to load: kavach plugins says why
                }
                BackendEntry entry = configured(entry(backend.get()));
                tried.add(entry);
                if (entry.availability().available()) {
                    LOG.debug("kavach.backend = auto selected '{}' (strength {})", entry.id(), entry.info().strength());
                    return entry;
                }
                LOG.debug("kavach.backend = auto: '{}' is unavailable: {}", entry.id(), entry.availability().problems());
            }
            wanted = KavachSettings.AUTO;
            why = autoProblems();
        } else {
            BackendEntry entry = known(configured, "kavach.backend " + reader.at("kavach.backend"));
            if (entry.availability().available()) {
                LOG.debug("selected the configured backend '{}'", entry.id());
                return entry;
            }
            wanted = configured;
            why = entry.availability();
        }
        for (String id : settings.fallback()) {
            BackendEntry entry = known(id, "kavach.fallback " + reader.at("kavach.fallback"));
            if (entry.availability().available()) {
                LOG.debug("'{}' is unavailable; selected '{}' from kavach.fallback", wanted, entry.id());
                return entry;
            }
        }
        if (KavachSettings.AUTO.equals(wanted)) {
            throw new NoBackendAvailableException(tried, why);
        }
        throw new BackendUnavailableException(wanted, why, availableIds());
    }

    /** Opens the configured backend ({@link #select()}), created with its settings and started. Close the sandbox when done. */
    public Sandbox open() {
        requireOpen();
        return open(select());
    }

    /** Opens backend {@code backendId} ({@link #select(String)}: no fallback), created with its settings and started. */
    public Sandbox open(String backendId) {
        requireId(backendId, "open()");
        requireOpen();
        return open(select(backendId));
    }

    /**
     * Runs one command in the configured backend: opens a sandbox, runs {@code request}, closes the sandbox.
     * The request runs under the configured policy unless it sets its own.
     */
    public ExecResult run(ExecRequest request) {
        requireNonNull(request, "request is null");
        try (Sandbox sandbox = open()) {
            return sandbox.exec(request);
        }
    }

    /** Runs {@code argv} exactly as given (no shell) in the configured backend, under the configured policy: {@link #run(ExecRequest)}. */
    public ExecResult run(String... argv) {
        return run(ExecRequest.of(argv));
    }

    private Sandbox open(BackendEntry entry) {
        Registered backend = registry.backend(entry.id()).orElseThrow();
        BackendContext context = contextFor(entry.id());
        SandboxBackend instance = backend.guard().callNonNull("create of backend '" + entry.id() + "'", () -> backend.provider().create(context));
        Sandbox sandbox = new Sandbox(entry.id(), instance, backend.guard(), settings.policy(), openSandboxes::remove,
                entry.info().capabilities());
        openSandboxes.add(sandbox);
        try {
            sandbox.start();
        } catch (RuntimeException e) {
            openSandboxes.remove(sandbox);
            throw e;
        }
        if (closed) {
            sandbox.close();
            requireOpen();
        }
        return sandbox;
    }

    /**
     * Opens a {@linkplain Session session} of the configured backend ({@link #select()}) under {@link #policy()}:
     * a sandbox whose working directory persists across execs, with files moved in and out. Closing the session
     * releases its sandbox; closing this Kavach closes every session still open.
     *
     * @throws dev.kavach.api.CapabilityNotSupportedException before anything starts, when the backend does not
     *                                                         make sessions
     */
    public Session openSession() {
        requireOpen();
        return openSession(select(), policy());
    }

    /** Like {@link #openSession()}, of backend {@code backendId} ({@link #select(String)}: no fallback). */
    public Session openSession(String backendId) {
        return openSession(backendId, policy());
    }

    /** Like {@link #openSession(String)}, under {@code policy}. */
    public Session openSession(String backendId, SandboxPolicy policy) {
        requireId(backendId, "openSession()");
        requireNonNull(policy, "policy is null");
        requireOpen();
        return openSession(select(backendId), policy);
    }

    private Session openSession(BackendEntry entry, SandboxPolicy policy) {
        if (!entry.info().supports(dev.kavach.api.Capability.SESSIONS)) {
            throw new dev.kavach.api.CapabilityNotSupportedException(entry.id(), dev.kavach.api.Capability.SESSIONS);
        }
        Sandbox sandbox = open(entry);
        try {
            return sandbox.openSession(policy, true);
        } catch (RuntimeException e) {
            try {
                sandbox.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * The host command line backend {@code backendId} would run for {@code request}, without running
     * anything ({@code kavach run --dry-run}). The backend need not be available on this host: a dry run of
     * {@code sev} on a machine without SEV-SNP still shows the exact QEMU command line.
     *
     * @return empty when the backend runs nothing on the host
     */
    public Optional<List<String>> commandLine(String backendId, ExecRequest request) {
        requireId(backendId, "commandLine(request)");
        return describe(backendId, request, "commandLine", (provider, context, resolved) -> provider.commandLine(context, resolved));
    }

    /** The host command line the configured backend ({@link #select()}) would run for {@code request}; see {@link #commandLine(String, ExecRequest)}. */
    public Optional<List<String>> commandLine(ExecRequest request) {
        return describe(null, request, "commandLine", (provider, context, resolved) -> provider.commandLine(context, resolved));
    }

    /**
     * What backend {@code backendId} shows beside its dry-run command line for {@code request}
     * ({@link dev.kavach.api.BackendProvider#dryRunDetails}), e.g. the {@code sev} backend's expected launch
     * measurement. Starts nothing.
     */
    public Map<String, String> dryRunDetails(String backendId, ExecRequest request) {
        requireId(backendId, "dryRunDetails(request)");
        return describe(backendId, request, "dryRunDetails", (provider, context, resolved) -> provider.dryRunDetails(context, resolved));
    }

    /** {@link #dryRunDetails(String, ExecRequest)} of the configured backend ({@link #select()}). */
    public Map<String, String> dryRunDetails(ExecRequest request) {
        return describe(null, request, "dryRunDetails", (provider, context, resolved) -> provider.dryRunDetails(context, resolved));
    }

    /** A question to a backend's provider about a request that already carries the policy it would run under. */
    private interface Question<T> {
        T ask(BackendProvider provider, BackendContext context, ExecRequest request);
    }

    /** Asks the backend's provider, in its class loader, to describe a run of {@code request} without starting anything. */
    private <T> T describe(String backendId, ExecRequest request, String what, Question<T> question) {
        requireOpen();
        requireNonNull(request, "request is null");
        if (unknownBackends.isPresent()) {
            throw fresh(unknownBackends.get());
        }
        String id = backendId != null ? known(backendId, "the requested backend").id() : select().id();
        Registered backend = registry.backend(id).orElseThrow();
        BackendContext context = contextFor(id);
        ExecRequest resolved = Sandbox.underPolicy(request, settings.policy());
        return backend.guard().callNonNull(what + " of backend '" + id + "'", () -> question.ask(backend.provider(), context, resolved));
    }

    /** {@code kavach.policy.preset} with the {@code kavach.policy.*} overrides and {@code kavach.timeout} applied. */
    public SandboxPolicy policy() {
        return settings.policy();
    }

    /** What backend {@code backendId} receives: its {@code kavach.backends.<id>} settings, a state directory and the version. */
    public BackendContext contextFor(String backendId) {
        requireNonNull(backendId, "backendId is null");
        if (!backendId.matches("[a-z][a-z0-9-]{0,63}")) {
            throw new ConfigurationException("invalid backend id '" + backendId + "'", "backend ids match [a-z][a-z0-9-]{0,63}, e.g. process");
        }
        return new BackendContext(backendId, reader.backendSettings(backendId), settings.stateDir().resolve(backendId), version, progress);
    }

    /** Closes every sandbox still open, then releases plugin class loaders. Idempotent. */
    @Override
    public void close() {
        closed = true;
        RuntimeException failure = null;
        for (Sandbox sandbox : List.copyOf(openSandboxes)) {
            try {
                sandbox.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        plugins.close();
        LOG.debug("closed Kavach: its sandboxes and plugin class loaders are released");
        if (failure != null) {
            throw failure;
        }
    }

    /** What a deferred plugin's backend declares it needs and lacks; a malformed setting is the probe's to report, so none. */
    private Optional<String> unmetNeed(BackendRegistry.Candidate candidate) {
        try {
            return candidate.declaration().orElseThrow().unmetNeed(reader.backendSettings(candidate.id()));
        } catch (ConfigurationException e) {
            return Optional.empty();
        }
    }

    private BackendEntry entry(Registered backend) {
        return registry.entry(backend, this::contextFor);
    }

    /** The entry of a discovered backend; its probe having refused the user's settings is that error, not an unavailable backend. */
    private BackendEntry known(String id, String where) {
        return configured(registry.backend(id).map(this::entry).orElseThrow(() -> {
            Optional<LoadedPlugin> lostWith = registry.lostWith(id);
            if (lostWith.isPresent()) {
                LoadedPlugin plugin = lostWith.get();
                String why = plugin.failed() && !plugin.diagnostics().isEmpty() ? plugin.diagnostics().get(plugin.diagnostics().size() - 1).describe()
                        : "it provides no backend '" + id + "'";
                return new ConfigurationException("backend '" + id + "' (" + where.trim() + ") is declared by " + plugin.origin().describe()
                        + ", which could not provide it: " + why, "run kavach plugins for the plugin's diagnostics and their fixes");
            }
            List<String> ids = registry.ids();
            String suggestion = ClosestMatch.in(ids, id).map(s -> "; did you mean '" + s + "'?").orElse("");
            return new ConfigurationException("unknown backend '" + id + "' (" + where.trim() + ")" + suggestion
                    + "\n  known backends: " + String.join(", ", ids),
                    "use one of: " + String.join(", ", ids) + ", or install the plugin that provides '" + id + "'");
        }));
    }

    private BackendEntry configured(BackendEntry entry) {
        Optional<ConfigurationException> refused = registry.configurationError(entry.id());
        if (refused.isPresent()) {
            throw fresh(refused.get());
        }
        return entry;
    }

    /** A new exception for a problem found once and reported at every attempt, so that no caller's additions pile up on one instance. */
    private static ConfigurationException fresh(ConfigurationException found) {
        return new ConfigurationException(found.getMessage(), found.fix(), found);
    }

    private List<String> availableIds() {
        return backends().stream().filter(entry -> entry.availability().available()).map(BackendEntry::id).toList();
    }

    /** Why {@code auto} found nothing: every problem of every ranked backend, prefixed with its id. */
    private Availability autoProblems() {
        List<ProbeCheck> checks = new ArrayList<>();
        for (BackendEntry entry : backends()) {
            if (entry.info().strength() == 0) {
                continue;
            }
            for (ProbeCheck problem : entry.availability().problems()) {
                checks.add(ProbeCheck.missing(entry.id() + ": " + problem.name(), problem.detail(), problem.fix()));
            }
        }
        String unranked = backends().stream().filter(entry -> entry.info().strength() == 0).map(BackendEntry::id).collect(Collectors.joining(", "));
        checks.add(ProbeCheck.missing("auto", "no backend that isolates the command is available"
                        + (unranked.isEmpty() ? "" : " (" + unranked + " isolates nothing and is never chosen automatically)"),
                "install what the backends above need, or name a backend explicitly with kavach.backend or --backend"));
        return new Availability(checks);
    }

    private void requireOpen() {
        if (closed) {
            throw new SandboxStateException("this Kavach instance is closed", "create a new one with Kavach.create");
        }
    }

    /** A backend id parameter must name one: the configured backend has its own overload. */
    private static void requireId(String backendId, String overload) {
        requireNonNull(backendId, () -> "backendId is null: name a backend, or call " + overload + " for the configured one");
    }
}
