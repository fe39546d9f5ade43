package dev.kavach.backend.kubernetes;

import dev.kavach.api.BackendSettings;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.server.mock.ErrorStreamMessage;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.server.mock.OutputStreamMessage;
import io.fabric8.kubernetes.client.server.mock.StatusMessage;
import io.fabric8.kubernetes.client.server.mock.StatusStreamMessage;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.kubernetes.api.model.StatusBuilder;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * fabric8's mock API server in CRUD mode, a fake kubelet that marks created pods Running (or fails them
 * as told), and exec-stream expectations per pod: what a real cluster does for the backend, in process.
 */
final class FakeCluster implements AutoCloseable {
    static final String NAMESPACE = "sandboxes";

    final KubernetesMockServer server;
    final NamespacedKubernetesClient client;
    private final Thread kubelet;
    private volatile boolean running = true;
    private final AtomicInteger ids = new AtomicInteger();
    /** Pods the kubelet marks as OOMKilled (lastState) when it starts them. */
    final Set<String> oomPods = ConcurrentHashMap.newKeySet();
    /** Pods whose image cannot be pulled. */
    final Set<String> imagePullFailures = ConcurrentHashMap.newKeySet();
    /** Pods the kubelet never starts. */
    final Set<String> unschedulable = ConcurrentHashMap.newKeySet();

    FakeCluster() {
        Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
        server = new KubernetesMockServer(new Context(), new MockWebServer(), responses, new KubernetesMixedDispatcher(responses), false);
        server.init();
        client = server.createClient(builder -> builder.withHttpClientFactory(new JdkHttpClientFactory()));
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build()).create();
        kubelet = Thread.ofPlatform().daemon().name("fake-kubelet").start(this::kubelet);
    }

    /** The next exec id the backend will use; expectations are registered for its pod name. */
    String nextId() {
        return String.format("e%05d", ids.incrementAndGet());
    }

    KubernetesSandboxBackend backend(KubernetesSettings settings) {
        return KubernetesBackendProvider.create(server.createClient(b -> b.withHttpClientFactory(new JdkHttpClientFactory())),
                settings, NAMESPACE, () -> {
                    synchronized (this) {
                        return pendingIds.isEmpty() ? nextId() : pendingIds.remove(0);
                    }
                });
    }

    private final List<String> pendingIds = new java.util.ArrayList<>();

    /** Takes the oldest reserved id for a caller that creates pods itself (the benchmark's baseline). */
    synchronized String takeReservedId() {
        return pendingIds.remove(0);
    }

    /** Reserves the id of the next exec and registers what its exec stream answers. */
    synchronized String expectExec(List<String> argv, boolean stdin, Exec answer) {
        return expectExec(argv, stdin ? "" : null, answer);
    }

    /** As above; {@code stdin} non-null opens the input stream, and the answer waits for exactly these bytes. */
    synchronized String expectExec(List<String> argv, String stdin, Exec answer) {
        String id = nextId();
        pendingIds.add(id);
        var session = server.expect().get().withPath(execPath("kavach-" + id, argv, stdin != null))
                .andUpgradeToWebSocket().open();
        if (stdin != null && !stdin.isEmpty()) {
            // Channel 0 carries stdin: the stream answers once the command's input arrived.
            answer.register(session.expect("\u0000" + stdin).andEmit(new OutputStreamMessage("")).once());
        } else {
            answer.register(session);
        }
        return id;
    }

    /** What an exec stream does once open. */
    @FunctionalInterface
    interface Exec {
        void register(io.fabric8.mockwebserver.dsl.EventDoneable<io.fabric8.mockwebserver.dsl.TimesOnceableOrHttpHeaderable<Void>> session);

        static Exec answers(String stdout, String stderr, int exitCode) {
            return session -> {
                // A moment before answering, so that stdin written at once arrives while the stream is open.
                var events = session.waitFor(200).andEmit(new OutputStreamMessage(""));
                if (!stdout.isEmpty()) {
                    events = events.waitFor(10).andEmit(new OutputStreamMessage(stdout));
                }
                if (!stderr.isEmpty()) {
                    events = events.waitFor(10).andEmit(new ErrorStreamMessage(stderr));
                }
                events.waitFor(10).andEmit(new StatusStreamMessage(exitCode)).done().once();
            };
        }

        static Exec hangs() {
            // Answers only a client message that never comes, so the stream stays open with no status.
            return session -> session.expect("never sent").andEmit(new StatusStreamMessage(0)).once().done().once();
        }

        static Exec runtimeError(String message) {
            return session -> session.waitFor(10).andEmit(new StatusMessage(new StatusBuilder().withStatus("Failure")
                    .withMessage(message).build())).done().once();
        }
    }

    static String execPath(String pod, List<String> argv, boolean stdin) {
        String commands = argv.stream().map(a -> "command=" + URLEncoder.encode(a, StandardCharsets.UTF_8).replace("+", "%20")).collect(Collectors.joining("&"));
        return "/api/v1/namespaces/" + NAMESPACE + "/pods/" + pod + "/exec?" + commands + "&container=task"
                + (stdin ? "&stdin=true" : "") + "&stdout=true&stderr=true";
    }

    List<String> podNames() {
        return client.pods().inNamespace(NAMESPACE).list().getItems().stream().map(p -> p.getMetadata().getName()).toList();
    }

    List<String> networkPolicyNames() {
        return client.network().v1().networkPolicies().inNamespace(NAMESPACE).list().getItems().stream().map(p -> p.getMetadata().getName()).toList();
    }

    private void kubelet() {
        while (running) {
            try {
                for (Pod pod : client.pods().inNamespace(NAMESPACE).list().getItems()) {
                    if (pod.getStatus() != null && pod.getStatus().getPhase() != null) {
                        continue;
                    }
                    String name = pod.getMetadata().getName();
                    if (unschedulable.contains(name)) {
                        pod.setStatus(new PodStatusBuilder().withPhase("Pending").addNewCondition().withType("PodScheduled").withStatus("False")
                                .withReason("Unschedulable").withMessage("0/3 nodes are available: insufficient memory").endCondition().build());
                    } else if (imagePullFailures.contains(name)) {
                        pod.setStatus(new PodStatusBuilder().withPhase("Pending").withContainerStatuses(new ContainerStatusBuilder().withName("task")
                                .withState(new ContainerStateBuilder().withNewWaiting().withReason("ErrImagePull").withMessage("manifest unknown").endWaiting().build())
                                .build()).build());
                    } else {
                        var status = new ContainerStatusBuilder().withName("task")
                                .withState(new ContainerStateBuilder().withNewRunning().endRunning().build());
                        if (oomPods.contains(name)) {
                            status.withLastState(new ContainerStateBuilder().withNewTerminated().withReason("OOMKilled").withExitCode(137).endTerminated().build());
                        }
                        pod.setStatus(new PodStatusBuilder().withPhase("Running").withContainerStatuses(status.build()).build());
                    }
                    try {
                        client.pods().inNamespace(NAMESPACE).resource(pod).updateStatus();
                    } catch (RuntimeException e) {
                        // Deleted between list and update: nothing to start.
                    }
                }
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // The list failed (server shutting down): try again.
            }
        }
    }

    static KubernetesSettings settings(Map<String, String> overrides) {
        Map<String, String> values = new HashMap<>(Map.of("namespace", NAMESPACE, "start-timeout", "20s"));
        values.putAll(overrides);
        return KubernetesSettings.from(BackendSettings.of("kavach.backends.kubernetes", values));
    }

    @Override
    public void close() {
        running = false;
        kubelet.interrupt();
        client.close();
        server.destroy();
    }
}
