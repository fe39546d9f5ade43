package dev.kavach.backend.kubernetes;

import dev.kavach.api.BackendContext;
import dev.kavach.api.CommandExtension;
import dev.kavach.api.KavachException;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** {@code kavach kubernetes gc}: deletes what a killed Kavach left behind, by label and age. */
public final class KubernetesCommand implements CommandExtension {
    private static final String USAGE = """
            Usage: kavach kubernetes gc [--older-than DURATION] [--dry-run]

              gc  Deletes the pods and NetworkPolicies labelled app.kubernetes.io/managed-by=kavach in the
                  configured namespace that are older than --older-than (default 10m; a running Kavach's
                  own execs are younger than their timeout plus start-timeout). --dry-run lists them only.
            """;

    @Override
    public String name() {
        return "kubernetes";
    }

    @Override
    public String summary() {
        return "Kubernetes backend tools: gc deletes pods and NetworkPolicies a killed Kavach left behind";
    }

    @Override
    public String backendId() {
        return KubernetesBackendProvider.ID;
    }

    @Override
    public int run(List<String> args, BackendContext context, PrintStream out, PrintStream err) {
        if (args.isEmpty() || args.contains("--help") || args.contains("-h")) {
            (args.isEmpty() ? err : out).print(USAGE);
            return args.isEmpty() ? 2 : 0;
        }
        if (!args.get(0).equals("gc")) {
            err.println("kavach kubernetes: unknown command '" + args.get(0) + "' (known: gc)");
            return 2;
        }
        Duration olderThan = Duration.ofMinutes(10);
        boolean dryRun = false;
        for (int i = 1; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--dry-run")) {
                dryRun = true;
            } else if (arg.equals("--older-than") && i + 1 < args.size()) {
                try {
                    olderThan = dev.kavach.api.BackendSettings.parseDuration(args.get(++i));
                } catch (IllegalArgumentException e) {
                    err.println("kavach kubernetes gc: --older-than '" + args.get(i) + "' is not a duration; use e.g. 10m or 1h");
                    return 2;
                }
            } else {
                err.println("kavach kubernetes gc: unknown option '" + arg + "'");
                err.print(USAGE);
                return 2;
            }
        }
        try {
            KubernetesSettings settings = KubernetesSettings.from(context.settings());
            Config config = ClusterConnection.config(settings);
            try (KubernetesClient client = ClusterConnection.client(config)) {
                String namespace = ClusterConnection.namespace(settings, config);
                List<String> removed = new GarbageCollector(client, namespace).collect(olderThan, Instant.now(), dryRun);
                removed.forEach(out::println);
                err.println((dryRun ? "would delete " : "deleted ") + removed.size() + " object(s) in namespace " + namespace);
                return 0;
            }
        } catch (KubernetesClientException e) {
            err.println("kavach kubernetes gc: the Kubernetes API failed: " + e.getMessage());
            return 125;
        } catch (KavachException e) {
            err.println("kavach kubernetes gc: " + e.getMessage());
            return 125;
        }
    }

    /** Finds and deletes Kavach's objects by label and creation time. */
    static final class GarbageCollector {
        private final KubernetesClient client;
        private final String namespace;

        GarbageCollector(KubernetesClient client, String namespace) {
            this.client = client;
            this.namespace = namespace;
        }

        List<String> collect(Duration olderThan, Instant now, boolean dryRun) {
            List<String> removed = new ArrayList<>();
            Instant cutoff = now.minus(olderThan);
            for (var pod : client.pods().inNamespace(namespace).withLabel(Labels.MANAGED_BY, Labels.MANAGED_BY_VALUE).list().getItems()) {
                if (olderThan(pod, cutoff)) {
                    if (!dryRun) {
                        client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).withGracePeriod(0).delete();
                    }
                    removed.add("pod/" + pod.getMetadata().getName());
                }
            }
            for (var np : client.network().v1().networkPolicies().inNamespace(namespace).withLabel(Labels.MANAGED_BY, Labels.MANAGED_BY_VALUE).list().getItems()) {
                if (olderThan(np, cutoff)) {
                    if (!dryRun) {
                        client.network().v1().networkPolicies().inNamespace(namespace).withName(np.getMetadata().getName()).delete();
                    }
                    removed.add("networkpolicy/" + np.getMetadata().getName());
                }
            }
            return removed;
        }

        /** Old only when every timestamp says so: the server's creation time and Kavach's own annotation. */
        private static boolean olderThan(HasMetadata object, Instant cutoff) {
            String created = object.getMetadata().getCreationTimestamp();
            String annotated = object.getMetadata().getAnnotations() == null ? null : object.getMetadata().getAnnotations().get("kavach.dev/created");
            if (created == null && annotated == null) {
                return false;
            }
            return (created == null || Instant.parse(created).isBefore(cutoff)) && (annotated == null || Instant.parse(annotated).isBefore(cutoff));
        }
    }
}
