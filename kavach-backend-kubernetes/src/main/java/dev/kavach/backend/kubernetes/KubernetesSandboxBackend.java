package dev.kavach.backend.kubernetes;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.Outcome;
import dev.kavach.api.OutputListener;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.SandboxException;
import dev.kavach.api.SandboxStateException;
import dev.kavach.api.StdStream;
import dev.kavach.api.StdinSource;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.KubernetesClientTimeoutException;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import io.fabric8.kubernetes.client.dsl.PodResource;
import io.fabric8.kubernetes.client.dsl.TtyExecErrorable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * Runs each exec as its own pod: NetworkPolicy (when the network is off), pod, wait until it runs, exec the
 * argv with separate stdin, stdout and stderr streams, classify, and delete both objects on every path.
 * Thread-safe: concurrent execs share one client.
 */
final class KubernetesSandboxBackend implements SandboxBackend {
    private static final Logger LOG = LoggerFactory.getLogger(KubernetesSandboxBackend.class);
    private static final List<String> START_FAILURES = List.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName",
            "CreateContainerConfigError", "CreateContainerError", "RunContainerError");
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(5);

    private final KubernetesClient client;
    private final KubernetesSettings settings;
    private final PodPlanner planner;
    private final String namespace;
    private final String instanceId;
    private final Supplier<String> execIds;
    private volatile boolean closed;

    KubernetesSandboxBackend(KubernetesClient client, KubernetesSettings settings, String namespace, String instanceId, Supplier<String> execIds) {
        this.client = requireNonNull(client, "client is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.namespace = requireNonNull(namespace, "namespace is null");
        this.instanceId = requireNonNull(instanceId, "instanceId is null");
        this.execIds = requireNonNull(execIds, "execIds is null");
        this.planner = new PodPlanner(settings, namespace, instanceId);
    }

    @Override
    public ExecResult exec(ExecRequest request, OutputListener listener) {
        requireNonNull(request, "request is null");
        requireNonNull(listener, "listener is null");
        if (closed) {
            throw new SandboxStateException("the kubernetes backend is closed", "open a new sandbox");
        }
        long start = System.nanoTime();
        PodPlan plan = planner.plan(request, execIds.get(), Instant.now());
        try {
            plan.networkPolicy().ifPresent(np -> {
                client.network().v1().networkPolicies().inNamespace(namespace).resource(np).create();
                LOG.debug("created NetworkPolicy {}/{}", namespace, np.getMetadata().getName());
            });
            client.pods().inNamespace(namespace).resource(plan.pod()).create();
            LOG.debug("created pod {}/{} for {}", namespace, plan.podName(), plan.argv());
            awaitRunning(plan);
            LOG.debug("pod {}/{} runs after {} ms", namespace, plan.podName(), (System.nanoTime() - start) / 1_000_000);
            return run(plan, request, listener, start);
        } catch (KubernetesClientException e) {
            throw new SandboxException("the Kubernetes API refused or failed a request for pod " + namespace + "/" + plan.podName()
                    + ": " + oneLine(e.getMessage()),
                    "run `kavach backends` to check access to the cluster and namespace " + namespace, e);
        } finally {
            delete(plan);
        }
    }

    private void awaitRunning(PodPlan plan) {
        PodResource resource = client.pods().inNamespace(namespace).withName(plan.podName());
        Pod pod;
        try {
            // A watch, not polling: a hundred concurrent execs must not flood the API server.
            pod = resource.waitUntilCondition(p -> p == null || started(p) || startFailure(p) != null,
                    settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (KubernetesClientTimeoutException e) {
            Pod last = resource.get();
            throw new SandboxException("pod " + namespace + "/" + plan.podName() + " did not start within "
                    + settings.startTimeout().toSeconds() + " s (" + (last == null ? "deleted" : pendingState(last)) + ")",
                    "check the cluster's capacity, node selector and tolerations, or raise kavach.backends.kubernetes.start-timeout");
        }
        if (pod == null) {
            throw new SandboxException("pod " + namespace + "/" + plan.podName() + " was deleted before it started",
                    "check for a controller or person deleting pods labelled " + Labels.MANAGED_BY + "=" + Labels.MANAGED_BY_VALUE);
        }
        String failure = startFailure(pod);
        if (failure != null) {
            throw new SandboxException("pod " + namespace + "/" + plan.podName() + " cannot start: " + failure,
                    "check kavach.backends.kubernetes.image (" + settings.image() + "), image-pull-secrets and the RuntimeClass ("
                            + (settings.runtimeClass().isEmpty() ? "none" : settings.runtimeClass()) + ")");
        }
    }

    private static boolean started(Pod pod) {
        ContainerStatus status = taskStatus(pod);
        return status != null && status.getState() != null && status.getState().getRunning() != null;
    }

    /** Why the pod will never run the command, or null while it still may. */
    private static String startFailure(Pod pod) {
        if (pod.getStatus() != null && List.of("Failed", "Succeeded").contains(pod.getStatus().getPhase())) {
            return "it ended before the command started (phase " + pod.getStatus().getPhase() + describe(pod.getStatus().getReason()) + ")";
        }
        ContainerStatus status = taskStatus(pod);
        if (status == null || status.getState() == null) {
            return null;
        }
        if (status.getState().getTerminated() != null) {
            return "its holder process ended (" + status.getState().getTerminated().getReason() + "); the image needs `sleep`";
        }
        if (status.getState().getWaiting() != null && START_FAILURES.contains(status.getState().getWaiting().getReason())) {
            return "waiting: " + status.getState().getWaiting().getReason() + describe(status.getState().getWaiting().getMessage());
        }
        return null;
    }

    private static String pendingState(Pod pod) {
        ContainerStatus status = taskStatus(pod);
        if (status != null && status.getState() != null && status.getState().getWaiting() != null) {
            return "waiting: " + status.getState().getWaiting().getReason() + describe(status.getState().getWaiting().getMessage());
        }
        if (pod.getStatus() != null && pod.getStatus().getConditions() != null) {
            return pod.getStatus().getConditions().stream()
                    .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()))
                    .map(c -> "unschedulable" + describe(c.getMessage())).findFirst().orElse("not started yet");
        }
        return "not scheduled yet";
    }

    private ExecResult run(PodPlan plan, ExecRequest request, OutputListener listener, long requested) {
        long start = System.nanoTime(); // the command's duration: from the exec on, the pod's start not included
        long limit = request.policy().outputLimitBytes();
        BoundedSink out = new BoundedSink(StdStream.STDOUT, limit, listener);
        BoundedSink err = new BoundedSink(StdStream.STDERR, limit, listener);
        ByteArrayOutputStream errorChannel = new ByteArrayOutputStream();
        try (InputStream stdin = openStdin(request.stdinSource(), plan.podName())) {
            return exec(plan, request, stdin, out, err, errorChannel, start, requested);
        } catch (IOException e) {
            throw new SandboxException("cannot close the stdin of pod " + namespace + "/" + plan.podName() + ": " + e.getMessage(), "retry", e);
        }
    }

    private ExecResult exec(PodPlan plan, ExecRequest request, InputStream stdin, BoundedSink out, BoundedSink err,
                            ByteArrayOutputStream errorChannel, long start, long requested) {
        var container = client.pods().inNamespace(namespace).withName(plan.podName()).inContainer(Labels.CONTAINER);
        // fabric8 pumps stdin itself, chunk by chunk as it arrives (never held whole), and closes the channel at
        // its end, so the command sees EOF.
        TtyExecErrorable streams = (stdin != null ? container.readingInput(stdin) : container).redirectingOutput();
        ExecWatch watch = streams.redirectingError().writingErrorChannel(errorChannel).exec(plan.argv().toArray(String[]::new));
        LOG.debug("exec into pod {}/{} started {} ms after the request: {} (stdin: {})", namespace, plan.podName(),
                (System.nanoTime() - requested) / 1_000_000, plan.argv(), request.stdinSource());
        try (watch) {
            Thread outPump = Thread.ofVirtual().name("kavach-k8s-stdout-" + plan.podName()).start(() -> out.drain(watch.getOutput()));
            Thread errPump = Thread.ofVirtual().name("kavach-k8s-stderr-" + plan.podName()).start(() -> err.drain(watch.getError()));
            Integer exitCode;
            boolean timedOut = false;
            try {
                exitCode = watch.exitCode().get(Math.max(1, plan.timeout().toNanos()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                timedOut = true;
                exitCode = null;
                // Stops the command at once: the pod's deletion kills every process in it.
                deletePod(plan.podName());
            } catch (ExecutionException e) {
                // A command that exits before reading all of its stdin ends the stream while stdin is still being
                // sent, and fabric8 then fails the exit future; the status the runtime sent first still says how it ended.
                join(outPump);
                join(errPump);
                exitCode = ExecStatus.exitCode(errorChannel.toString(StandardCharsets.UTF_8)).orElseThrow(() -> new SandboxException(
                        "the exec stream to pod " + namespace + "/" + plan.podName() + " failed: " + oneLine(String.valueOf(e.getCause())),
                        "check the network path to the API server and retry", e.getCause()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SandboxException("interrupted while pod " + namespace + "/" + plan.podName() + " ran", "retry");
            }
            join(outPump);
            join(errPump);
            Duration duration = Duration.ofNanos(System.nanoTime() - start);
            LOG.debug("exec in pod {}/{} ended after {} ms: {}", namespace, plan.podName(), duration.toMillis(),
                    timedOut ? "timed out" : "exit " + exitCode);
            return classify(plan, request, exitCode, timedOut, errorChannel.toString(StandardCharsets.UTF_8), out, err, duration);
        }
    }

    /**
     * The command's stdin, opened for fabric8 to pump as the command reads, or {@code null} for none. A source that
     * cannot be opened (a missing file) ends the input, as with the other backends: the command sees end of file.
     */
    private static InputStream openStdin(StdinSource source, String podName) {
        if (source.isEmpty()) {
            return null;
        }
        try {
            return source.open();
        } catch (IOException e) {
            LOG.debug("stdin {} for pod {} cannot be opened ({}); the command sees end of file", source, podName, e.getMessage());
            return InputStream.nullInputStream();
        }
    }

    private ExecResult classify(PodPlan plan, ExecRequest request, Integer exitCode, boolean timedOut, String status,
                                BoundedSink out, BoundedSink err, Duration duration) {
        ExecResult.Builder result;
        if (timedOut) {
            result = ExecResult.Builder.timedOut().detail("timed out after " + plan.timeout() + "; pod " + plan.podName()
                    + " was deleted, which stopped every process in it");
        } else if (exitCode != null && exitCode >= 0) {
            ContainerStateTerminated terminated = terminatedState(plan.podName());
            result = terminated != null && "OOMKilled".equals(terminated.getReason())
                    ? ExecResult.Builder.killed("memory limit " + request.policy().memoryMiB() + " MiB exceeded: the container was OOMKilled")
                            .exitCode(exitCode == 0 ? 137 : exitCode)
                    : ExecResult.Builder.completed(exitCode);
        } else {
            // The runtime could not start the program: its error channel says why.
            String reason = oneLine(status);
            String lower = reason.toLowerCase(Locale.ROOT);
            int failed = lower.contains("not found") || lower.contains("no such file") ? 127
                    : lower.contains("permission denied") || lower.contains("not executable") ? 126 : 0;
            if (failed == 0) {
                throw new SandboxException("pod " + namespace + "/" + plan.podName() + " reported no exit status"
                        + (reason.isEmpty() ? "" : ": " + reason), "check the container runtime's events for the pod and retry");
            }
            result = ExecResult.Builder.failedToStart(failed, "the container runtime could not start '" + plan.argv().get(0) + "': " + reason);
        }
        result.stdout(out.output()).duration(duration).enforcement(plan.enforcement());
        if (!result.build().outcome().equals(Outcome.FAILED_TO_START)) {
            result.stderr(err.output());
        }
        for (BoundedSink sink : List.of(out, err)) {
            if (sink.listenerFailure() != null) {
                result.addDetail("the output listener failed (" + sink.listenerFailure() + ")");
            }
        }
        return result.build();
    }

    private ContainerStateTerminated terminatedState(String podName) {
        try {
            Pod pod = client.pods().inNamespace(namespace).withName(podName).get();
            ContainerStatus status = pod == null ? null : taskStatus(pod);
            if (status == null || status.getState() == null) {
                return null;
            }
            return status.getState().getTerminated() != null ? status.getState().getTerminated()
                    : status.getLastState() == null ? null : status.getLastState().getTerminated();
        } catch (KubernetesClientException e) {
            LOG.debug("could not read pod {} status after the exec: {}", podName, e.getMessage());
            return null;
        }
    }

    private static ContainerStatus taskStatus(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return null;
        }
        return pod.getStatus().getContainerStatuses().stream().filter(c -> Labels.CONTAINER.equals(c.getName())).findFirst().orElse(null);
    }

    private static void join(Thread pump) {
        try {
            if (!pump.join(DRAIN_GRACE)) {
                pump.interrupt();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Deletes the exec's pod and NetworkPolicy, on every path; a failure is logged and left to close and gc. */
    private void delete(PodPlan plan) {
        deletePod(plan.podName());
        plan.networkPolicy().ifPresent(np -> {
            try {
                client.network().v1().networkPolicies().inNamespace(namespace).withName(np.getMetadata().getName()).delete();
                LOG.debug("deleted NetworkPolicy {}/{}", namespace, np.getMetadata().getName());
            } catch (KubernetesClientException e) {
                LOG.warn("could not delete NetworkPolicy {}/{} ({}); `kavach kubernetes gc` removes it", namespace, np.getMetadata().getName(), e.getMessage());
            }
        });
    }

    private void deletePod(String podName) {
        try {
            client.pods().inNamespace(namespace).withName(podName).withGracePeriod(0).delete();
            LOG.debug("deleted pod {}/{}", namespace, podName);
        } catch (KubernetesClientException e) {
            LOG.warn("could not delete pod {}/{} ({}); `kavach kubernetes gc` removes it", namespace, podName, e.getMessage());
        }
    }

    /** Deletes every object this instance still owns (execs in flight included), then the client. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            client.pods().inNamespace(namespace).withLabel(Labels.INSTANCE, instanceId).withGracePeriod(0).delete();
            client.network().v1().networkPolicies().inNamespace(namespace).withLabel(Labels.INSTANCE, instanceId).delete();
        } catch (KubernetesClientException e) {
            LOG.warn("could not delete this instance's pods in {} ({}); `kavach kubernetes gc` removes them", namespace, e.getMessage());
        } finally {
            client.close();
        }
    }

    private static String describe(String text) {
        return text == null || text.isBlank() ? "" : " (" + oneLine(text) + ")";
    }

    private static String oneLine(String text) {
        if (text == null) {
            return "";
        }
        String line = text.replaceAll("\\s+", " ").strip();
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }

}
