package dev.kavach.backend.kubernetes;

import dev.kavach.api.Availability;
import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.ProbeCheck;
import dev.kavach.api.SandboxPolicy;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClassBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The probe's checks against the mock API server, and --dry-run's YAML without any cluster. */
class ProbeAndDryRunTest {
    @TempDir
    Path dir;

    private BackendContext context(Map<String, String> values) {
        return new BackendContext("kubernetes", BackendSettings.of("kavach.backends.kubernetes", values), dir, "0.1.0");
    }

    private Path kubeconfig(String server) throws Exception {
        Path file = dir.resolve("kubeconfig");
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters: [{name: mock, cluster: {server: "%s"}}]
                users: [{name: me, user: {token: abc}}]
                contexts: [{name: mock, context: {cluster: mock, user: me, namespace: sandboxes}}]
                current-context: mock
                """.formatted(server));
        return file;
    }

    @Test
    void probeReportsEachMissingPermissionAndRuntimeClassWithItsFix() throws Exception {
        try (FakeCluster cluster = new FakeCluster()) {
            // The mock answers every SelfSubjectAccessReview with "allowed" except exec.
            cluster.server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
                    .andReply(201, request -> {
                        boolean exec = request.getBody().readUtf8().contains("\"subresource\":\"exec\"");
                        return new SelfSubjectAccessReviewBuilder().withNewStatus().withAllowed(!exec)
                                .withReason(exec ? "RBAC: no rule" : null).endStatus().build();
                    }).always();
            cluster.client.resources(io.fabric8.kubernetes.api.model.node.v1.RuntimeClass.class)
                    .resource(new RuntimeClassBuilder().withNewMetadata().withName("kata-qemu").endMetadata().withHandler("kata-qemu").build()).create();
            Path config = kubeconfig(cluster.client.getConfiguration().getMasterUrl());
            Map<String, String> values = new HashMap<>(Map.of("kubeconfig", config.toString(), "runtime-class", "kata-qemu-snp"));

            Availability availability = new KubernetesBackendProvider().probe(context(values));

            assertFalse(availability.available());
            assertTrue(check(availability, "api-server").passed());
            assertTrue(check(availability, "namespace").passed(), check(availability, "namespace").detail());
            assertTrue(check(availability, "rbac: create pods").passed());
            ProbeCheck exec = check(availability, "rbac: create pods/exec");
            assertFalse(exec.passed());
            assertTrue(exec.fix().contains("pods/exec"), exec.fix());
            ProbeCheck runtime = check(availability, "runtime-class");
            assertFalse(runtime.passed());
            assertTrue(runtime.fix().contains("kata-deploy"), runtime.fix());

            values.put("runtime-class", "kata-qemu");
            values.put("namespace", "missing");
            Availability second = new KubernetesBackendProvider().probe(context(values));
            assertTrue(check(second, "runtime-class").passed());
            assertFalse(check(second, "namespace").passed());
            assertTrue(check(second, "namespace").fix().contains("kubectl create namespace missing"));
        }
    }

    @Test
    void probeWithoutAReachableClusterSaysHowToPointAtOne() throws Exception {
        Path config = kubeconfig("https://127.0.0.1:1");
        Availability availability = new KubernetesBackendProvider().probe(context(Map.of("kubeconfig", config.toString(), "request-timeout", "2s")));
        ProbeCheck server = check(availability, "api-server");
        assertFalse(server.passed());
        assertTrue(server.fix().contains("KUBECONFIG"), server.fix());
    }

    @Test
    void dryRunPrintsThePolicyAndPodAsYamlWithoutACluster() {
        String yaml = new KubernetesBackendProvider().dryRun(context(Map.of("network-policy-enforced", "true", "namespace", "jobs",
                "master-url", "https://127.0.0.1:1")), ExecRequest.of("python3", "-c", "print(1)").withPolicy(SandboxPolicy.minimal().withNetwork(false)));

        assertTrue(yaml.indexOf("kind: \"NetworkPolicy\"") < yaml.indexOf("kind: \"Pod\""), yaml);
        assertTrue(yaml.contains("namespace: \"jobs\""), yaml);
        assertTrue(yaml.contains("allowPrivilegeEscalation: false"), yaml);
        assertTrue(yaml.contains("[\"python3\",\"-c\",\"print(1)\"]"), yaml);
    }

    private static ProbeCheck check(Availability availability, String name) {
        return availability.checks().stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no check " + name + " in " + availability.checks()));
    }
}
