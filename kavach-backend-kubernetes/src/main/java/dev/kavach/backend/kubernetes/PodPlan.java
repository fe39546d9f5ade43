package dev.kavach.backend.kubernetes;

import dev.kavach.api.Enforcement;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What one exec creates in the cluster: the pod, the deny-all NetworkPolicy when the policy turns the
 * network off, the argv run inside the pod, and which mechanism enforces each part of the policy.
 */
record PodPlan(Pod pod, Optional<NetworkPolicy> networkPolicy, List<String> argv, Duration timeout, List<Enforcement> enforcement) {
    PodPlan {
        requireNonNull(pod, "pod is null");
        requireNonNull(networkPolicy, "networkPolicy is null");
        argv = List.copyOf(argv);
        requireNonNull(timeout, "timeout is null");
        enforcement = List.copyOf(enforcement);
    }

    String podName() {
        return pod.getMetadata().getName();
    }

    String namespace() {
        return pod.getMetadata().getNamespace();
    }
}
