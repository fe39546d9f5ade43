package dev.kavach.backend.kubernetes;

import dev.kavach.api.Availability;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendInfo;
import dev.kavach.api.BackendProvider;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.IsolationKind;
import dev.kavach.api.ProbeCheck;
import dev.kavach.api.SandboxBackend;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The {@code kubernetes} backend: each command in a hardened pod of its own, in the cluster fabric8 finds
 * (kubeconfig, context, or in-cluster). Never chosen by {@code auto} over a local backend unless it is
 * the only one available: its strength reflects the pod's isolation, not the RuntimeClass's.
 */
public final class KubernetesBackendProvider implements BackendProvider {
    private static final Logger LOG = LoggerFactory.getLogger(KubernetesBackendProvider.class);
    static final String ID = "kubernetes";
    private static final SecureRandom RANDOM = new SecureRandom();

    @Override
    public BackendInfo info() {
        return new BackendInfo(ID, "Kubernetes pod", IsolationKind.PROCESS, 40,
                "One hardened pod per command (non-root, no capabilities, RuntimeDefault seccomp, deny-all NetworkPolicy);"
                        + " a Kata RuntimeClass such as kata-qemu-snp puts it in a (confidential) VM");
    }

    @Override
    public Availability probe(BackendContext context) {
        KubernetesSettings settings = KubernetesSettings.from(context.settings());
        Config config;
        try {
            config = ClusterConnection.config(settings);
        } catch (KubernetesClientException e) {
            return Availability.of(ProbeCheck.missing("kubeconfig", "no usable cluster configuration: " + e.getMessage(),
                    "set KUBECONFIG or kavach.backends.kubernetes.kubeconfig to a kubeconfig file"));
        }
        if (config.getMasterUrl() == null || config.getMasterUrl().isBlank()) {
            return Availability.of(ProbeCheck.missing("kubeconfig", "no cluster configured (no kubeconfig, no in-cluster service account)",
                    "set KUBECONFIG or kavach.backends.kubernetes.kubeconfig, or run Kavach inside a pod"));
        }
        long start = System.nanoTime();
        try (KubernetesClient client = ClusterConnection.client(config)) {
            String namespace = ClusterConnection.namespace(settings, config);
            Availability availability = new ClusterProbe(client, settings, namespace).probe();
            if (LOG.isDebugEnabled()) {
                LOG.debug("probed cluster {} (namespace {}) in {} ms", config.getMasterUrl(), namespace, (System.nanoTime() - start) / 1_000_000);
                availability.checks().forEach(check -> LOG.debug("probe {}: {} ({}){}", check.name(), check.passed() ? "ok" : check.required()
                        ? "MISSING" : "unavailable", check.detail(), check.passed() || check.fix().isEmpty() ? "" : "; fix: " + check.fix()));
            }
            return availability;
        }
    }

    @Override
    public SandboxBackend create(BackendContext context) {
        KubernetesSettings settings = KubernetesSettings.from(context.settings());
        Config config = ClusterConnection.config(settings);
        return new KubernetesSandboxBackend(ClusterConnection.client(config), settings, ClusterConnection.namespace(settings, config),
                newId(), KubernetesBackendProvider::newId);
    }

    /** The argv an exec runs in the pod (exec'd into its container, never through a shell); contacts no cluster. */
    @Override
    public Optional<List<String>> commandLine(BackendContext context, ExecRequest request) {
        KubernetesSettings settings = KubernetesSettings.from(context.settings());
        return Optional.of(new PodPlanner(settings, "default", "dry-run").plan(request, "dry-run", Instant.EPOCH).argv());
    }

    /** {@code objects}: what {@link #dryRun} prints, the NetworkPolicy and the Pod as YAML; contacts no cluster. */
    @Override
    public Map<String, String> dryRunDetails(BackendContext context, ExecRequest request) {
        return Map.of("objects", dryRun(context, request));
    }

    /**
     * The objects an exec of {@code request} would create, as YAML documents, without contacting a cluster:
     * the NetworkPolicy (when the network is off) and the Pod, and then the argv exec'd in it.
     */
    public String dryRun(BackendContext context, ExecRequest request) {
        KubernetesSettings settings = KubernetesSettings.from(context.settings());
        String namespace = settings.namespace().isEmpty() ? "<kubeconfig namespace>" : settings.namespace();
        PodPlan plan = new PodPlanner(settings, settings.namespace().isEmpty() ? "default" : settings.namespace(), "dry-run")
                .plan(request, "dry-run", Instant.EPOCH);
        KubernetesSerialization yaml = new KubernetesSerialization();
        StringBuilder text = new StringBuilder();
        text.append("# kubernetes backend, namespace ").append(namespace).append(": created in this order, deleted after the exec\n");
        plan.networkPolicy().ifPresent(np -> text.append(yaml.asYaml(np)));
        text.append(yaml.asYaml(plan.pod()));
        text.append("# then exec'd in container ").append(Labels.CONTAINER).append(" (argv, never a shell string):\n");
        text.append("# ").append(yaml.asJson(plan.argv())).append('\n');
        return text.toString();
    }

    static String newId() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** For tests: a backend on a given client and exec-id source. */
    static KubernetesSandboxBackend create(KubernetesClient client, KubernetesSettings settings, String namespace, Supplier<String> execIds) {
        return new KubernetesSandboxBackend(client, settings, namespace, newId(), execIds);
    }
}
