package dev.kavach.backend.kubernetes;

import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.Outcome;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.SandboxPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The same behaviour against a real cluster (kind, k3s, a managed one) when KUBECONFIG points at one.
 * Skipped with the reason otherwise, also under CI: no cluster can run on the CI machine.
 * KAVACH_K8S_NAMESPACE (default "default") and KAVACH_K8S_NETWORK_POLICY_ENFORCED=true tune it.
 */
@Tag("cluster")
class RealClusterTest {
    private static SandboxBackend backend;
    private static KubernetesClient client;
    private static String namespace;

    @BeforeAll
    static void connect() throws Exception {
        String kubeconfig = System.getenv("KUBECONFIG");
        assumeTrue(kubeconfig != null && Files.isReadable(Path.of(kubeconfig)),
                "no cluster: set KUBECONFIG to a kubeconfig of a cluster this test may create pods in");
        namespace = System.getenv().getOrDefault("KAVACH_K8S_NAMESPACE", "default");
        Map<String, String> values = new HashMap<>(Map.of("namespace", namespace,
                "network-policy-enforced", System.getenv().getOrDefault("KAVACH_K8S_NETWORK_POLICY_ENFORCED", "false")));
        BackendContext context = new BackendContext("kubernetes", BackendSettings.of("kavach.backends.kubernetes", values),
                Files.createTempDirectory("kavach-k8s"), "0.1.0");
        var availability = new KubernetesBackendProvider().probe(context);
        assumeTrue(availability.available(), "the cluster is not usable: " + availability.problems());
        backend = new KubernetesBackendProvider().create(context);
        KubernetesSettings settings = KubernetesSettings.from(context.settings());
        var config = ClusterConnection.config(settings);
        client = ClusterConnection.client(config);
    }

    @AfterAll
    static void close() {
        if (backend != null) {
            backend.close();
            assertEquals(0, client.pods().inNamespace(namespace).withLabel(Labels.MANAGED_BY, Labels.MANAGED_BY_VALUE).list().getItems().stream()
                    .filter(p -> p.getMetadata().getDeletionTimestamp() == null).count(), "no Kavach pod is left");
            client.close();
        }
    }

    @Test
    void streamsAndExitCodeStayApart() {
        ExecResult result = backend.exec(ExecRequest.of("sh", "-c", "echo out; echo err >&2; exit 3").withPolicy(SandboxPolicy.minimal()));
        assertEquals(3, result.exitCode());
        assertEquals("out\n", result.stdoutText());
        assertEquals("err\n", result.stderrText());
    }

    @Test
    void stdinReachesTheCommand() {
        ExecResult result = backend.exec(ExecRequest.builder("cat").stdin("hello".getBytes()).policy(SandboxPolicy.minimal()).build());
        assertEquals("hello", result.stdoutText());
    }

    @Test
    void timeoutStopsThePod() {
        ExecResult result = backend.exec(ExecRequest.of("sleep", "600").withPolicy(SandboxPolicy.minimal().withTimeout(Duration.ofSeconds(3))));
        assertEquals(Outcome.TIMED_OUT, result.outcome());
    }

    @Test
    void aMissingProgramFailsToStart() {
        ExecResult result = backend.exec(ExecRequest.of("no-such-program-kavach").withPolicy(SandboxPolicy.minimal()));
        assertEquals(Outcome.FAILED_TO_START, result.outcome(), result.detail());
        assertEquals(127, result.exitCode());
    }

    @Test
    void runsAsNonRootWithoutCapabilities() {
        ExecResult result = backend.exec(ExecRequest.of("sh", "-c", "id -u; grep CapEff /proc/self/status").withPolicy(SandboxPolicy.minimal()));
        assertTrue(result.stdoutText().startsWith("65534\n"), result.stdoutText());
        assertTrue(result.stdoutText().contains("CapEff:\t0000000000000000"), result.stdoutText());
    }
}
