package dev.kavach.core.discovery;

import dev.kavach.api.KavachException;
import dev.kavach.core.BackendOrigin;
import dev.kavach.core.plugin.LoadedPlugin;
import dev.kavach.core.plugin.PluginDiagnosticLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.InvocationTargetException;
import java.util.ServiceConfigurationError;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * The one guard around every call Kavach makes into a backend provider, a backend or a command extension,
 * built in or from a plugin. It runs the call with the plugin's class loader as the thread context loader
 * (libraries inside plugins expect it), and sorts what comes out:
 * <ul>
 *   <li>a {@link KavachException} passes unchanged: the backend threw it on purpose, with its reason and fix.
 *       A {@link dev.kavach.api.ConfigurationException} in particular is the user's setting, never a bug;</li>
 *   <li>the JVM itself failing ({@link VirtualMachineError} other than {@link StackOverflowError}) passes
 *       unchanged: no diagnostic can absorb it;</li>
 *   <li>anything else, any {@code RuntimeException} or {@code Error}, is a bug of whoever provided the code:
 *       it becomes that plugin's diagnostic (a log warning for a built-in) and a {@link PluginBugException}
 *       that names the plugin and says whom to tell.</li>
 * </ul>
 */
public final class PluginCall {
    private static final Logger LOG = LoggerFactory.getLogger(PluginCall.class);
    private static final PluginCall BUILT_IN = new PluginCall(null, null);

    private final LoadedPlugin plugin;
    private final PluginDiagnosticLog log;

    private PluginCall(LoadedPlugin plugin, PluginDiagnosticLog log) {
        this.plugin = plugin;
        this.log = log;
    }

    /** The guard for code on Kavach's own module path or class path. */
    public static PluginCall builtIn() {
        return BUILT_IN;
    }

    /** The guard for code from {@code plugin}; its bugs become its diagnostics in {@code log}. */
    public static PluginCall into(LoadedPlugin plugin, PluginDiagnosticLog log) {
        return new PluginCall(requireNonNull(plugin, "plugin is null"), requireNonNull(log, "log is null"));
    }

    public BackendOrigin origin() {
        return plugin == null ? BackendOrigin.BUILT_IN : plugin.origin();
    }

    /** The plugin whose code this guards; {@code null} for built-ins. */
    public LoadedPlugin plugin() {
        return plugin;
    }

    /**
     * Runs {@code action}.
     *
     * @param what the call, for the message of a bug, e.g. {@code "exec of backend 'acme'"}
     */
    public <T> T call(String what, Supplier<T> action) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        ClassLoader loader = plugin == null ? null : plugin.loader();
        if (loader != null) {
            thread.setContextClassLoader(loader);
        }
        try {
            return action.get();
        } catch (KavachException e) {
            throw e;
        } catch (RuntimeException | Error e) {
            rethrowIfFatal(e);
            throw bug(what + " threw " + describe(e), e);
        } finally {
            if (loader != null) {
                thread.setContextClassLoader(previous);
            }
        }
    }

    /** Like {@link #call}, and a {@code null} result is a bug too. */
    public <T> T callNonNull(String what, Supplier<T> action) {
        T result = call(what, action);
        if (result == null) {
            throw bug(what + " returned nothing", null);
        }
        return result;
    }

    public void run(String what, Runnable action) {
        call(what, () -> {
            action.run();
            return null;
        });
    }

    /** A bug of the guarded code: recorded as the plugin's diagnostic (or logged), and returned to be thrown. */
    public PluginBugException bug(String reason, Throwable cause) {
        String fix = plugin == null
                ? "this is a bug in Kavach's built-in code; report it with this message"
                : "report this to the author of plugin '" + plugin.pluginId() + "', or remove " + plugin.path().getFileName()
                        + " from the plugins directory";
        if (plugin != null) {
            log.add(plugin, reason, fix);
        } else {
            LOG.warn("{} ({})", reason, fix);
        }
        return new PluginBugException(reason, fix, cause);
    }

    /**
     * Rethrows what no plugin diagnostic can absorb: the JVM itself failing (out of memory, internal
     * error). Anything else a plugin throws, an {@code AssertionError}, a {@code StackOverflowError} or
     * an {@code Error} of its own included, stays that plugin's problem.
     */
    public static void rethrowIfFatal(Throwable failure) {
        if (failure instanceof VirtualMachineError fatal && !(failure instanceof StackOverflowError)) {
            throw fatal;
        }
    }

    /** The most telling cause of a failure as {@code Type: message}: unwraps ServiceLoader and reflection wrappers. */
    public static String describe(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof ServiceConfigurationError || cause instanceof InvocationTargetException
                || cause instanceof ExceptionInInitializerError) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getClass().getName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }
}
