package dev.kavach.core.discovery;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Predicate;

/**
 * Instantiates ServiceLoader providers one by one, so that a provider whose class is missing or whose
 * constructor throws becomes one failed {@link Instantiation} instead of ending the whole iteration.
 */
public final class ServiceProviders {
    /** Stops a broken lookup that keeps failing without advancing. */
    private static final int MAX_CONSECUTIVE_FAILURES = 100;

    private ServiceProviders() {
    }

    /** One provider: its instance, or why it could not be made. */
    public record Instantiation<S>(String typeName, Class<?> type, S instance, Throwable failure) {
        public boolean failed() {
            return failure != null;
        }

        /** The failure's root cause as {@code Type: message}, without ServiceLoader's wrapping. */
        public String failureText() {
            return PluginCall.describe(failure);
        }
    }

    /** Instantiates every provider whose class passes {@code keep} (e.g. "lives in this plugin's layer"). */
    public static <S> List<Instantiation<S>> instantiate(ServiceLoader<S> loader, Predicate<Class<?>> keep) {
        List<Instantiation<S>> results = new ArrayList<>();
        Iterator<ServiceLoader.Provider<S>> providers = loader.stream().iterator();
        int consecutiveFailures = 0;
        while (consecutiveFailures < MAX_CONSECUTIVE_FAILURES) {
            ServiceLoader.Provider<S> provider;
            Class<?> type;
            try {
                if (!providers.hasNext()) {
                    break;
                }
                provider = providers.next();
                type = provider.type();
            } catch (ServiceConfigurationError | LinkageError e) {
                consecutiveFailures++;
                results.add(new Instantiation<>(providerName(e), null, null, e));
                continue;
            }
            consecutiveFailures = 0;
            if (!keep.test(type)) {
                continue;
            }
            try {
                results.add(new Instantiation<>(type.getName(), type, provider.get(), null));
            } catch (RuntimeException | Error e) {
                // a provider's constructor is plugin code like any other: the same rule as PluginCall's
                PluginCall.rethrowIfFatal(e);
                results.add(new Instantiation<>(type.getName(), type, null, e));
            }
        }
        return results;
    }

    private static String providerName(Throwable e) {
        String message = String.valueOf(e.getMessage());
        int at = message.indexOf("Provider ");
        if (at >= 0) {
            String rest = message.substring(at + "Provider ".length());
            int end = rest.indexOf(' ');
            return end > 0 ? rest.substring(0, end) : rest;
        }
        return "(unknown provider)";
    }
}
