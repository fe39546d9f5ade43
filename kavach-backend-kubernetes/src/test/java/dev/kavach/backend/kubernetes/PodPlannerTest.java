package dev.kavach.backend.kubernetes;

import dev.kavach.api.ConfigurationException;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.SandboxPolicy;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every policy field's mapping onto the pod and NetworkPolicy, and every refusal. Pure: no cluster. */
class PodPlannerTest {
    private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");

    private static PodPlan plan(SandboxPolicy policy, Map<String, String> settings) {
        Map<String, String> values = new java.util.HashMap<>(Map.of("network-policy-enforced", "true", "pod-pids-limit", "64", "namespace", "jobs"));
        values.putAll(settings);
        var s = KubernetesSettings.from(dev.kavach.api.BackendSettings.of("kavach.backends.kubernetes", values));
        ExecRequest request = new ExecRequest(new dev.kavach.api.Command.Argv(List.of("python3", "-c", "print('a b')")), null,
                Map.of("API_TOKEN", "s3cret", "LANG", "C.UTF-8"), "/work", policy, null);
        return new PodPlanner(s, "jobs", "inst1").plan(request, "abc123", NOW);
    }

    private static Container task(Pod pod) {
        return pod.getSpec().getContainers().get(0);
    }

    @Test
    void argvIsExecdAsGivenAndEnvironmentAndWorkdirAreThePodsFields() {
        PodPlan plan = plan(SandboxPolicy.minimal(), Map.of());
        assertEquals(List.of("python3", "-c", "print('a b')"), plan.argv(), "exec'd as an array, never a shell string");
        Container c = task(plan.pod());
        assertEquals("sleep", c.getCommand().get(0), "the container runs a holder; the argv is exec'd into it");
        assertEquals(List.of(new EnvVar("API_TOKEN", "s3cret", null), new EnvVar("LANG", "C.UTF-8", null)), c.getEnv());
        assertEquals("/work", c.getWorkingDir());
        assertEquals("Never", plan.pod().getSpec().getRestartPolicy());
    }

    @Test
    void hardeningHoldsInEveryPreset() {
        for (SandboxPolicy policy : List.of(SandboxPolicy.minimal(), SandboxPolicy.basic().withMaxPids(0).withMemoryMiB(0).withMaxFileSizeBytes(0))) {
            Pod pod = plan(policy, Map.of()).pod();
            var sc = task(pod).getSecurityContext();
            assertEquals(Boolean.FALSE, sc.getAllowPrivilegeEscalation());
            assertEquals(List.of("ALL"), sc.getCapabilities().getDrop());
            assertEquals(Boolean.TRUE, sc.getRunAsNonRoot());
            assertEquals(65534L, sc.getRunAsUser());
            assertEquals(Boolean.FALSE, sc.getPrivileged());
            assertEquals(Boolean.FALSE, pod.getSpec().getAutomountServiceAccountToken());
            assertEquals(Boolean.FALSE, pod.getSpec().getEnableServiceLinks());
            assertEquals(Boolean.FALSE, pod.getSpec().getHostNetwork());
            assertEquals(Boolean.FALSE, pod.getSpec().getHostPID());
            assertEquals(Boolean.FALSE, pod.getSpec().getHostIPC());
            assertEquals(Boolean.TRUE, pod.getSpec().getSecurityContext().getRunAsNonRoot());
        }
    }

    @Test
    void seccompIsRuntimeDefaultForBasicAndStrictAndAbsentForMinimal() {
        assertNull(plan(SandboxPolicy.minimal(), Map.of()).pod().getSpec().getSecurityContext().getSeccompProfile());
        SandboxPolicy basic = SandboxPolicy.basic().withMaxPids(0).withMemoryMiB(0).withMaxFileSizeBytes(0);
        assertEquals("RuntimeDefault", plan(basic, Map.of()).pod().getSpec().getSecurityContext().getSeccompProfile().getType());
        SandboxPolicy strict = SandboxPolicy.strict().withMaxOpenFiles(0).withMaxFileSizeBytes(0);
        assertEquals("RuntimeDefault", plan(strict, Map.of()).pod().getSpec().getSecurityContext().getSeccompProfile().getType());
    }

    @Test
    void limitsMapToResourcesAndTheDeadline() {
        PodPlan plan = plan(SandboxPolicy.minimal().withCpus(0.5).withMemoryMiB(256).withTimeout(Duration.ofSeconds(10)), Map.of("start-timeout", "1m"));
        var resources = task(plan.pod()).getResources();
        assertEquals(new Quantity("0.5"), resources.getLimits().get("cpu"));
        assertEquals(new Quantity("0.5"), resources.getRequests().get("cpu"));
        assertEquals(new Quantity("256Mi"), resources.getLimits().get("memory"));
        assertEquals(60 + 10 + 30, plan.pod().getSpec().getActiveDeadlineSeconds(), "start timeout + command timeout + grace");
        assertEquals(Duration.ofSeconds(10), plan.timeout());
    }

    @Test
    void anEnormousTimeoutSaturatesInsteadOfOverflowing() {
        PodPlan plan = plan(SandboxPolicy.minimal().withTimeout(Duration.ofSeconds(Long.MAX_VALUE / 2)), Map.of());
        assertTrue(plan.pod().getSpec().getActiveDeadlineSeconds() > 0);
    }

    @Test
    void readOnlyRootGetsAPrivateSizeLimitedTmp() {
        PodPlan plan = plan(SandboxPolicy.strict().withMaxOpenFiles(0).withMaxFileSizeBytes(0), Map.of("tmp-size", "32M"));
        Container c = task(plan.pod());
        assertEquals(Boolean.TRUE, c.getSecurityContext().getReadOnlyRootFilesystem());
        assertEquals("/tmp", c.getVolumeMounts().get(0).getMountPath());
        assertEquals(new Quantity("32Mi"), plan.pod().getSpec().getVolumes().get(0).getEmptyDir().getSizeLimit());
    }

    @Test
    void networkOffIsADenyAllPolicySelectingOnlyThisPod() {
        PodPlan plan = plan(SandboxPolicy.minimal().withNetwork(false), Map.of());
        NetworkPolicy np = plan.networkPolicy().orElseThrow();
        assertEquals(Map.of(Labels.EXEC, "abc123"), np.getSpec().getPodSelector().getMatchLabels());
        assertEquals(List.of("Ingress", "Egress"), np.getSpec().getPolicyTypes());
        assertTrue(np.getSpec().getIngress().isEmpty() && np.getSpec().getEgress().isEmpty(), "no rule: nothing allowed");
        assertEquals("abc123", plan.pod().getMetadata().getLabels().get(Labels.EXEC));
        assertFalse(plan(SandboxPolicy.minimal(), Map.of()).networkPolicy().isPresent());
    }

    @Test
    void everyObjectCarriesKavachsLabelsAndTheUsersExtras() {
        PodPlan plan = plan(SandboxPolicy.minimal().withNetwork(false), Map.of("labels", "team=ml", "annotations", "note=a b c"));
        for (var meta : List.of(plan.pod().getMetadata(), plan.networkPolicy().orElseThrow().getMetadata())) {
            assertEquals("kavach", meta.getLabels().get(Labels.MANAGED_BY));
            assertEquals("inst1", meta.getLabels().get(Labels.INSTANCE));
            assertEquals("ml", meta.getLabels().get("team"));
            assertEquals("a b c", meta.getAnnotations().get("note"));
            assertEquals(NOW.toString(), meta.getAnnotations().get("kavach.dev/created"));
            assertEquals("jobs", meta.getNamespace());
        }
    }

    @Test
    void placementSettingsReachThePod() {
        Pod pod = plan(SandboxPolicy.minimal(), Map.of("runtime-class", "kata-qemu-snp", "node-selector", "amd.com/sev-snp=true",
                "tolerations", "sev=yes:NoSchedule", "image-pull-secrets", "regcred", "service-account", "runner", "image", "python:3.12-slim")).pod();
        assertEquals("kata-qemu-snp", pod.getSpec().getRuntimeClassName());
        assertEquals(Map.of("amd.com/sev-snp", "true"), pod.getSpec().getNodeSelector());
        assertEquals("NoSchedule", pod.getSpec().getTolerations().get(0).getEffect());
        assertEquals("Equal", pod.getSpec().getTolerations().get(0).getOperator());
        assertEquals("regcred", pod.getSpec().getImagePullSecrets().get(0).getName());
        assertEquals("runner", pod.getSpec().getServiceAccountName());
        assertEquals("python:3.12-slim", task(pod).getImage());
    }

    @Test
    void refusesWhatTheClusterCannotEnforceNamingTheFix() {
        var noNp = assertThrows(PolicyNotEnforceableException.class,
                () -> plan(SandboxPolicy.minimal().withNetwork(false), Map.of("network-policy-enforced", "false")));
        assertTrue(noNp.fix().contains("network-policy-enforced"), noNp.fix());
        var pids = assertThrows(PolicyNotEnforceableException.class, () -> plan(SandboxPolicy.minimal().withMaxPids(10), Map.of()));
        assertTrue(pids.getMessage().contains("64"), "names the declared node limit: " + pids.getMessage());
        assertThrows(PolicyNotEnforceableException.class, () -> plan(SandboxPolicy.minimal().withMaxPids(10), Map.of("pod-pids-limit", "0")));
        assertEquals(64, plan(SandboxPolicy.minimal().withMaxPids(64), Map.of()).pod().getMetadata().getLabels().size() > 0 ? 64 : 0);
        assertThrows(PolicyNotEnforceableException.class, () -> plan(SandboxPolicy.minimal().withMaxOpenFiles(100), Map.of()));
        assertThrows(PolicyNotEnforceableException.class, () -> plan(SandboxPolicy.minimal().withMaxFileSizeBytes(100), Map.of()));
    }

    @Test
    void badSettingsNameTheKey() {
        for (Map<String, String> bad : List.of(Map.of("namespace", "Not_A_Name"), Map.of("run-as-user", "0"), Map.of("tolerations", "a=b:Sometimes"),
                Map.of("labels", "nonsense"), Map.of("labels", "kavach.dev/exec=x"), Map.of("tmp-size", "lots"), Map.of("start-timeout", "0s"),
                Map.of("runtime-class", "Kata QEMU"), Map.of("image", "has space"))) {
            var e = assertThrows(ConfigurationException.class, () -> plan(SandboxPolicy.minimal(), bad));
            String key = bad.keySet().iterator().next();
            assertTrue(e.getMessage().contains("kavach.backends.kubernetes." + key), e.getMessage());
        }
    }
}
