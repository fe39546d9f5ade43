package dev.kavach.backend.kubernetes;

import dev.kavach.api.Enforcement;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.SeccompProfile;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SeccompProfileBuilder;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * Maps a request and its policy onto a pod and a NetworkPolicy, refusing before anything is created
 * what the cluster cannot enforce. Pure: the same inputs give the same objects, so {@code --dry-run}
 * shows exactly what an exec creates.
 *
 * <p>The pod's one container runs a holder ({@code sleep}) and the command is exec'd into it: Kubernetes
 * cannot attach to a container before it starts, so attaching to a container whose command is the argv
 * loses whatever it writes before the attach connects. An exec stream carries stdin, stdout, stderr and
 * the exit status separately and from the first byte. The environment and working directory are the
 * container's, which exec sessions inherit.
 */
final class PodPlanner {
    private static final BigDecimal MIB = BigDecimal.valueOf(1L << 20);

    private final KubernetesSettings settings;
    private final String namespace;
    private final String instanceId;

    PodPlanner(KubernetesSettings settings, String namespace, String instanceId) {
        this.settings = requireNonNull(settings, "settings is null");
        this.namespace = requireNonNull(namespace, "namespace is null");
        this.instanceId = requireNonNull(instanceId, "instanceId is null");
    }

    PodPlan plan(ExecRequest request, String execId, Instant now) {
        SandboxPolicy policy = request.policy();
        refuseUnenforceable(policy);
        Duration timeout = request.effectiveTimeout();
        List<Enforcement> enforcement = new ArrayList<>();

        Map<String, String> labels = new TreeMap<>(settings.labels());
        labels.put(Labels.MANAGED_BY, Labels.MANAGED_BY_VALUE);
        labels.put(Labels.EXEC, execId);
        labels.put(Labels.INSTANCE, instanceId);
        Map<String, String> annotations = new TreeMap<>(settings.annotations());
        annotations.put("kavach.dev/created", now.toString());

        // The pod's own deadline backs the client-side one: a pod whose Kavach died still ends.
        long deadlineSeconds = saturatingAdd(saturatingAdd(settings.startTimeout().toSeconds(), ceilSeconds(timeout)), 30);
        ResourceRequirementsBuilder resources = new ResourceRequirementsBuilder();
        if (policy.cpus() > 0) {
            Quantity cpu = new Quantity(BigDecimal.valueOf(policy.cpus()).stripTrailingZeros().toPlainString());
            resources.addToLimits("cpu", cpu).addToRequests("cpu", cpu);
            enforcement.add(new Enforcement("cpus", policy.cpus() + " CPU: container resources.limits.cpu (CFS quota set by the kubelet)"));
        }
        if (policy.memoryMiB() > 0) {
            Quantity memory = new Quantity(policy.memoryMiB() + "Mi");
            resources.addToLimits("memory", memory).addToRequests("memory", memory);
            enforcement.add(new Enforcement("memory", policy.memoryMiB() + " MiB: container resources.limits.memory (OOMKilled is reported as KILLED)"));
        }
        if (policy.maxPids() > 0) {
            enforcement.add(new Enforcement("pids", "the kubelet's podPidsLimit " + settings.podPidsLimit()
                    + " (declared by kavach.backends.kubernetes.pod-pids-limit), at most the " + policy.maxPids() + " asked for"));
        }

        SecurityContextBuilder containerSecurity = new SecurityContextBuilder()
                .withAllowPrivilegeEscalation(false)
                .withPrivileged(false)
                .withNewCapabilities().withDrop("ALL").endCapabilities()
                .withRunAsNonRoot(true)
                .withRunAsUser(settings.runAsUser())
                .withRunAsGroup(settings.runAsGroup())
                .withReadOnlyRootFilesystem(policy.readOnlyRoot());
        PodSecurityContextBuilder podSecurity = new PodSecurityContextBuilder()
                .withRunAsNonRoot(true)
                .withRunAsUser(settings.runAsUser())
                .withRunAsGroup(settings.runAsGroup());
        if (policy.seccomp() != SeccompProfile.NONE) {
            podSecurity.withSeccompProfile(new SeccompProfileBuilder().withType("RuntimeDefault").build());
            enforcement.add(new Enforcement("seccomp", "the container runtime's RuntimeDefault profile (for Kavach's "
                    + policy.seccomp().name().toLowerCase(java.util.Locale.ROOT) + " profile; the runtime's list, not Kavach's)"));
        }
        enforcement.add(new Enforcement("user", "uid " + settings.runAsUser() + ", gid " + settings.runAsGroup()
                + ", runAsNonRoot, allowPrivilegeEscalation false, all capabilities dropped, no host namespaces, no service account token"));

        ContainerBuilder container = new ContainerBuilder()
                .withName(Labels.CONTAINER)
                .withImage(settings.image())
                .withCommand("sleep", Long.toString(deadlineSeconds))
                .withEnv(environment(request))
                .withResources(resources.build())
                .withSecurityContext(containerSecurity.build());
        if (request.workdir() != null) {
            container.withWorkingDir(request.workdir());
        }
        PodBuilder pod = new PodBuilder()
                .withNewMetadata()
                .withName("kavach-" + execId)
                .withNamespace(namespace)
                .withLabels(labels)
                .withAnnotations(annotations)
                .endMetadata()
                .withNewSpec()
                .withRestartPolicy("Never")
                .withActiveDeadlineSeconds(deadlineSeconds)
                .withAutomountServiceAccountToken(false)
                .withEnableServiceLinks(false)
                .withHostNetwork(false)
                .withHostPID(false)
                .withHostIPC(false)
                .withSecurityContext(podSecurity.build())
                .withTerminationGracePeriodSeconds(0L)
                .endSpec();
        if (policy.readOnlyRoot()) {
            container.withVolumeMounts(new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build());
            pod.editSpec().addToVolumes(new VolumeBuilder().withName("tmp").withNewEmptyDir()
                    .withSizeLimit(new Quantity(BigDecimal.valueOf(settings.tmpSize()).divide(MIB, 0, java.math.RoundingMode.DOWN) + "Mi"))
                    .endEmptyDir().build()).endSpec();
            enforcement.add(new Enforcement("filesystem", "readOnlyRootFilesystem, with a private emptyDir on /tmp (sizeLimit "
                    + (settings.tmpSize() >> 20) + " MiB)"));
        }
        pod.editSpec().withContainers(container.build()).endSpec();
        if (!settings.runtimeClass().isEmpty()) {
            pod.editSpec().withRuntimeClassName(settings.runtimeClass()).endSpec();
            enforcement.add(new Enforcement("isolation", "RuntimeClass " + settings.runtimeClass()));
        }
        if (!settings.nodeSelector().isEmpty()) {
            pod.editSpec().withNodeSelector(new TreeMap<>(settings.nodeSelector())).endSpec();
        }
        for (KubernetesSettings.Toleration t : settings.tolerations()) {
            pod.editSpec().addToTolerations(new TolerationBuilder().withKey(t.key()).withOperator(t.operator())
                    .withValue(t.value()).withEffect(t.effect()).build()).endSpec();
        }
        for (String secret : settings.imagePullSecrets()) {
            pod.editSpec().addToImagePullSecrets(new LocalObjectReference(secret)).endSpec();
        }
        if (!settings.serviceAccount().isEmpty()) {
            pod.editSpec().withServiceAccountName(settings.serviceAccount()).endSpec();
        }

        Optional<NetworkPolicy> networkPolicy = Optional.empty();
        if (!policy.network()) {
            networkPolicy = Optional.of(new NetworkPolicyBuilder()
                    .withNewMetadata()
                    .withName("kavach-" + execId)
                    .withNamespace(namespace)
                    .withLabels(labels)
                    .withAnnotations(annotations)
                    .endMetadata()
                    .withNewSpec()
                    .withNewPodSelector().withMatchLabels(Map.of(Labels.EXEC, execId)).endPodSelector()
                    .withPolicyTypes("Ingress", "Egress")
                    .endSpec()
                    .build());
            enforcement.add(new Enforcement("network", "off: a deny-all NetworkPolicy (ingress and egress) selecting only this pod,"
                    + " created before it; the CNI enforces it (declared by kavach.backends.kubernetes.network-policy-enforced)"));
        }
        enforcement.add(new Enforcement("timeout", timeout + " on the client (the pod is deleted), backed by activeDeadlineSeconds "
                + deadlineSeconds));
        enforcement.add(new Enforcement("output", policy.outputLimitBytes() + " bytes per stream, bounded while streaming"));
        return new PodPlan(pod.build(), networkPolicy, request.command().argv(), timeout, enforcement);
    }

    /** Refuses, before anything exists, every field this cluster cannot enforce, each with its fix. */
    void refuseUnenforceable(SandboxPolicy policy) {
        if (!policy.network() && !settings.networkPolicyEnforced()) {
            throw new PolicyNotEnforceableException("the policy turns the network off, which the kubernetes backend enforces with a"
                    + " NetworkPolicy, but nothing says this cluster's CNI enforces NetworkPolicy (the API cannot show it); the command was not started",
                    "set kavach.backends.kubernetes.network-policy-enforced = true once your CNI enforces NetworkPolicy (Calico, Cilium,"
                            + " ...), or allow the network (kavach.policy.network = true, or --policy minimal)");
        }
        if (policy.maxPids() > 0 && (settings.podPidsLimit() == 0 || settings.podPidsLimit() > policy.maxPids())) {
            throw new PolicyNotEnforceableException("the policy limits processes to " + policy.maxPids() + ", but a pod has no pids field:"
                    + " only the kubelet's podPidsLimit bounds it, and kavach.backends.kubernetes.pod-pids-limit says "
                    + (settings.podPidsLimit() == 0 ? "none is set" : "it is " + settings.podPidsLimit()) + "; the command was not started",
                    "set the kubelet's podPidsLimit to at most " + policy.maxPids() + " and declare it in kavach.backends.kubernetes.pod-pids-limit,"
                            + " or set kavach.policy.max-pids = 0");
        }
        if (policy.maxOpenFiles() > 0) {
            throw new PolicyNotEnforceableException("the policy limits open files to " + policy.maxOpenFiles()
                    + ", but Kubernetes has no per-pod rlimit field (containers get the runtime's RLIMIT_NOFILE); the command was not started",
                    "set kavach.policy.max-open-files = 0 to run with the container runtime's limit");
        }
        if (policy.maxFileSizeBytes() > 0) {
            throw new PolicyNotEnforceableException("the policy limits file size to " + policy.maxFileSizeBytes()
                    + " bytes, but Kubernetes has no per-pod RLIMIT_FSIZE; the command was not started",
                    "set kavach.policy.max-file-size = 0 (a read-only root with a size-limited /tmp bounds writes instead)");
        }
        if (policy.cpus() > 0 && policy.cpus() < 0.001) {
            throw new PolicyNotEnforceableException("the policy asks for " + policy.cpus() + " CPU, below Kubernetes' smallest unit (1m = 0.001 CPU)",
                    "ask for at least 0.001 CPU, or 0 for no limit");
        }
    }

    private static List<EnvVar> environment(ExecRequest request) {
        Map<String, String> env = new LinkedHashMap<>(new TreeMap<>(request.env()));
        return env.entrySet().stream().map(e -> new EnvVar(e.getKey(), e.getValue(), null)).toList();
    }

    private static long saturatingAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    private static long ceilSeconds(Duration d) {
        long seconds = d.getSeconds();
        return d.getNano() > 0 ? seconds + 1 : seconds;
    }
}
