package dev.kavach.backend.kubernetes;

import dev.kavach.api.ExecRequest;
import dev.kavach.api.ExecResult;
import dev.kavach.api.SandboxPolicy;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.dsl.ExecWatch;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * What the kubernetes backend costs on top of the API calls it must make, measured against fabric8's mock
 * API server (bench/kubernetes.sh runs it). The baseline does the same calls with the bare fabric8 client in
 * the same run: create the pod, wait until it runs, exec, delete. Kavach adds its planning, validation,
 * bounded pumps, classification and the status read. Prints ratios; asserts nothing about speed.
 */
public final class MockClusterBenchmark {
    private static final SandboxPolicy POLICY = SandboxPolicy.minimal().withTimeout(Duration.ofSeconds(60));

    public static void main(String[] args) throws Exception {
        int sequential = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int concurrent = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int total = args.length > 2 ? Integer.parseInt(args[2]) : 640;
        try (FakeCluster cluster = new FakeCluster()) {
            KubernetesSandboxBackend backend = cluster.backend(FakeCluster.settings(Map.of("start-timeout", "120s")));
            run(cluster, backend, 20, 1, true);
            run(cluster, backend, 20, 1, false);
            String startLoad = load();
            System.out.println("load average at start: " + startLoad + (loaded(startLoad) ? "  (over 2: the figures below were measured under load)" : ""));
            double bare = run(cluster, backend, sequential, 1, false);
            double kavach = run(cluster, backend, sequential, 1, true);
            System.out.printf("per exec, sequential (%d each): bare fabric8 %.2f ms, Kavach %.2f ms, overhead %.2f ms, ratio %.2fx%n",
                    sequential, bare, kavach, kavach - bare, kavach / bare);
            double bareRate = total / (run(cluster, backend, total, concurrent, false) * total / 1000.0);
            double kavachRate = total / (run(cluster, backend, total, concurrent, true) * total / 1000.0);
            System.out.printf("throughput, %d execs %d at a time: bare fabric8 %.0f/s, Kavach %.0f/s, ratio %.2fx%n",
                    total, concurrent, bareRate, kavachRate, kavachRate / bareRate);
            inFlightCost(cluster, backend, concurrent);
            System.out.println("objects left: " + cluster.podNames().size() + " pods, " + cluster.networkPolicyNames().size() + " NetworkPolicies");
            String endLoad = load();
            System.out.println("load average at end: " + endLoad + (loaded(endLoad) ? "  (over 2: the figures above were measured under load)" : ""));
            backend.close();
        }
    }

    /** Heap and threads that {@code n} execs in flight hold in this JVM (each waiting on its command). */
    private static void inFlightCost(FakeCluster cluster, KubernetesSandboxBackend backend, int n) throws Exception {
        System.gc();
        Thread.sleep(500);
        long heapBefore = usedHeap();
        int threadsBefore = Thread.activeCount();
        for (int i = 0; i < n; i++) {
            cluster.expectExec(List.of("sleep", "30"), false, FakeCluster.Exec.hangs());
        }
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<ExecResult>> running = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            running.add(pool.submit(() -> backend.exec(ExecRequest.of("sleep", "30").withPolicy(POLICY.withTimeout(Duration.ofSeconds(30))))));
        }
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (cluster.client.pods().inNamespace(FakeCluster.NAMESPACE).list().getItems().stream()
                .filter(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase())).count() < n && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        Thread.sleep(2000);
        System.gc();
        Thread.sleep(500);
        long heapDuring = usedHeap();
        int platformThreads = Thread.activeCount() - threadsBefore;
        System.out.printf("in flight: %d execs hold %.0f KiB of heap each (%.1f MiB in all) and %d more platform threads in all%n",
                n, (heapDuring - heapBefore) / 1024.0 / n, (heapDuring - heapBefore) / 1048576.0, platformThreads);
        for (Future<ExecResult> f : running) {
            f.get();
        }
        pool.shutdown();
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    /** Runs {@code n} execs, {@code parallel} at a time; returns wall milliseconds per exec. */
    private static double run(FakeCluster cluster, KubernetesSandboxBackend backend, int n, int parallel, boolean viaKavach) throws Exception {
        List<String> argv = List.of("echo", "hi");
        for (int i = 0; i < n; i++) {
            cluster.expectExec(argv, false, session -> session.immediately().andEmit(new io.fabric8.kubernetes.client.server.mock.OutputStreamMessage("hi\n")).immediately()
                    .andEmit(new io.fabric8.kubernetes.client.server.mock.StatusStreamMessage(0)).done().once());
        }
        List<Future<?>> futures = new ArrayList<>();
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(parallel)) {
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(() -> {
                    if (viaKavach) {
                        ExecResult result = backend.exec(ExecRequest.of(argv).withPolicy(POLICY));
                        if (result.exitCode() != 0) {
                            throw new IllegalStateException("exec failed: " + result);
                        }
                    } else {
                        bare(cluster, argv);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
        return (System.nanoTime() - start) / 1e6 / n;
    }

    /** The same API calls without Kavach: the pod Kavach would create, wait, exec, delete. */
    private static void bare(FakeCluster cluster, List<String> argv) throws Exception {
        String id;
        synchronized (cluster) {
            id = cluster.takeReservedId();
        }
        var planner = new PodPlanner(FakeCluster.settings(Map.of()), FakeCluster.NAMESPACE, "bench");
        Pod pod = planner.plan(ExecRequest.of(argv).withPolicy(POLICY), id, Instant.now()).pod();
        var pods = cluster.client.pods().inNamespace(FakeCluster.NAMESPACE);
        pods.resource(pod).create();
        pods.withName(pod.getMetadata().getName()).waitUntilCondition(p -> p != null && p.getStatus() != null
                && "Running".equals(p.getStatus().getPhase()), 120, TimeUnit.SECONDS);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ExecWatch watch = pods.withName(pod.getMetadata().getName()).inContainer("task").writingOutput(out).writingError(out)
                .exec(argv.toArray(String[]::new))) {
            watch.exitCode().get(60, TimeUnit.SECONDS);
        }
        pods.withName(pod.getMetadata().getName()).withGracePeriod(0).delete();
    }

    private static boolean loaded(String load) {
        try {
            return Double.parseDouble(load) > 2;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static String load() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
