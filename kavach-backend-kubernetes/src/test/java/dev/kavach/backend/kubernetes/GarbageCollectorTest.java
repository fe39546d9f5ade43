package dev.kavach.backend.kubernetes;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** `kavach kubernetes gc` deletes Kavach's own old objects, and nothing young or foreign. */
class GarbageCollectorTest {
    @Test
    void deletesOnlyKavachsObjectsOlderThanTheCutoff() {
        try (FakeCluster cluster = new FakeCluster()) {
            // The mock stamps creation with the real clock: "now" lies two hours ahead so both timestamps matter.
            Instant now = Instant.now().plus(Duration.ofHours(2));
            create(cluster, "kavach-old", Map.of(Labels.MANAGED_BY, "kavach"), now.minus(Duration.ofHours(1)));
            create(cluster, "kavach-young", Map.of(Labels.MANAGED_BY, "kavach"), now.minus(Duration.ofMinutes(1)));
            create(cluster, "someone-else", Map.of("app", "web"), now.minus(Duration.ofDays(3)));
            cluster.client.network().v1().networkPolicies().inNamespace(FakeCluster.NAMESPACE).resource(new NetworkPolicyBuilder()
                    .withNewMetadata().withName("kavach-old").withLabels(Map.of(Labels.MANAGED_BY, "kavach"))
                    .withAnnotations(Map.of("kavach.dev/created", now.minus(Duration.ofHours(1)).toString())).endMetadata()
                    .withNewSpec().withNewPodSelector().endPodSelector().endSpec().build()).create();
            var gc = new KubernetesCommand.GarbageCollector(cluster.client, FakeCluster.NAMESPACE);

            assertEquals(List.of("pod/kavach-old", "networkpolicy/kavach-old"), gc.collect(Duration.ofMinutes(10), now, true));
            assertEquals(3, cluster.podNames().size(), "--dry-run deletes nothing");

            assertEquals(List.of("pod/kavach-old", "networkpolicy/kavach-old"), gc.collect(Duration.ofMinutes(10), now, false));
            assertEquals(List.of("kavach-young", "someone-else"), cluster.podNames().stream().sorted().toList());
            assertEquals(List.of(), cluster.networkPolicyNames());
        }
    }

    private static void create(FakeCluster cluster, String name, Map<String, String> labels, Instant created) {
        cluster.client.pods().inNamespace(FakeCluster.NAMESPACE).resource(new PodBuilder().withNewMetadata().withName(name)
                .withLabels(labels).withAnnotations(Map.of("kavach.dev/created", created.toString())).endMetadata()
                .withNewSpec().addNewContainer().withName("task").withImage("busybox").endContainer().endSpec().build()).create();
    }
}
