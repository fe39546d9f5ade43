package dev.kavach.backend.sev;

import dev.kavach.backend.sev.guest.TaskArchive;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.OutputListener;
import dev.kavach.api.SandboxPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * Warm guests ({@code kavach.backends.<id>.pool}): up to {@code size} session guests booted ahead, so that an
 * exec outside a session starts in milliseconds instead of a boot. A guest taken from the pool serves exactly
 * one exec and is then stopped; a replacement boots in the background. Nothing is reused between execs.
 *
 * <p>Guests are booted for one launch shape (vCPUs and memory): the default policy's at first, then the shape
 * of the last exec that found none ready, so a pool follows what is asked. A guest left unused for
 * {@code idle-limit} is stopped and not replaced until the next exec (the pool sleeps while nobody uses it).
 * {@link #close()} stops every pooled guest and every guest still booting.
 */
final class VmPool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VmPool.class);
    /** Enough, measured under TCG, for a guest's exec time to settle (from ~300 ms to ~45 ms). */
    private static final int WARM_UP_EXECS = 10;

    /** A launch shape: what makes a guest fit an exec's policy. */
    record Shape(int vcpus, long memoryMiB) {
        static Shape of(GuestLaunch launch) {
            return new Shape(launch.vcpus(), launch.memoryMiB());
        }
    }

    private record Warm(SessionGuests.Started guest, Shape shape, long readySince) {
    }

    private final SessionGuests guests;
    private final int size;
    private final Duration idleLimit;
    private final Deque<Warm> ready = new ArrayDeque<>();
    private final ExecutorService booter;
    private final ExecutorService stopper;
    private SandboxPolicy policy;
    private int booting;
    private boolean sleeping;
    private boolean closed;

    VmPool(SessionGuests guests, int size, Duration idleLimit, SandboxPolicy initial) {
        this.guests = requireNonNull(guests, "guests is null");
        this.size = size;
        this.idleLimit = requireNonNull(idleLimit, "idleLimit is null");
        this.policy = requireNonNull(initial, "initial is null");
        if (size < 1) {
            throw new IllegalArgumentException("a pool holds at least one guest, not " + size);
        }
        // One boot at a time: under TCG a boot takes a core for seconds, and the execs need the rest.
        this.booter = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("vm-pool-boot-" + guests.backendId()).unstarted(r));
        this.stopper = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("vm-pool-stop-" + guests.backendId()).unstarted(r));
    }

    /** Starts filling the pool. */
    synchronized void start() {
        refill();
    }

    /**
     * A warm guest for an exec under {@code wanted}, taken out of the pool (the caller runs one exec on it and
     * then hands it to {@link #release}, which boots its replacement); empty when none of that shape is ready,
     * and the pool then turns to that shape and boots guests of it.
     */
    synchronized Optional<SessionGuests.Started> take(SandboxPolicy wanted) {
        if (closed) {
            return Optional.empty();
        }
        sleeping = false;
        Shape shape = Shape.of(guests.launch(wanted, new byte[32]));
        expireIdle();
        Optional<SessionGuests.Started> taken = Optional.empty();
        while (!ready.isEmpty() && taken.isEmpty()) {
            Warm warm = ready.pollFirst();
            if (warm.shape().equals(shape) && warm.guest().guest.failure().isEmpty()) {
                taken = Optional.of(warm.guest());
            } else {
                retire(warm.guest());
            }
        }
        if (taken.isEmpty() && !Shape.of(guests.launch(policy, new byte[32])).equals(shape)) {
            LOG.debug("{} pool: now keeping guests of {} vCPU(s) and {} MiB", guests.backendId(), shape.vcpus(), shape.memoryMiB());
            policy = wanted;
            ready.forEach(w -> retire(w.guest()));
            ready.clear();
        }
        if (taken.isEmpty()) {
            refill();
        }
        // A taken guest's replacement boots once its exec is over (release): a boot beside the exec would slow it.
        return taken;
    }

    /** Takes back a guest that served its one exec: it is stopped and a replacement boots, both in the background. */
    synchronized void release(SessionGuests.Started guest) {
        retire(guest);
        refill();
    }

    /** Stops a guest that served its one exec (in the background: the result need not wait for QEMU's exit). */
    void retire(SessionGuests.Started guest) {
        stopper.execute(guest::close);
    }

    /** How many guests are ready now. */
    synchronized int ready() {
        expireIdle();
        return ready.size();
    }

    /** The QEMU pids of the ready guests. */
    synchronized List<Long> readyPids() {
        return ready.stream().map(w -> w.guest().guest.qemuPid()).toList();
    }

    private void expireIdle() {
        long now = System.nanoTime();
        boolean expired = false;
        while (!ready.isEmpty() && now - ready.peekFirst().readySince() > idleLimit.toNanos()) {
            retire(ready.pollFirst().guest());
            expired = true;
        }
        if (expired && ready.isEmpty() && booting == 0) {
            LOG.debug("{} pool: idle for {}, asleep until the next exec", guests.backendId(), idleLimit);
            sleeping = true;
        }
    }

    private void refill() {
        int missing = size - ready.size() - booting;
        for (int i = 0; i < missing && !sleeping && !closed; i++) {
            booting++;
            SandboxPolicy shape = policy;
            booter.execute(() -> boot(shape));
        }
    }

    private void boot(SandboxPolicy shape) {
        SessionGuests.Started started = null;
        try {
            synchronized (this) {
                if (closed) {
                    booting--;
                    return;
                }
            }
            long begun = System.nanoTime();
            started = guests.start(shape);
            warmUp(started, shape);
            LOG.debug("{} pool: guest booted in {} ms (QEMU pid {})", guests.backendId(), (System.nanoTime() - begun) / 1_000_000,
                    started.guest.qemuPid());
        } catch (RuntimeException e) {
            LOG.debug("{} pool: a guest failed to boot: {}", guests.backendId(), e.getMessage());
            if (started != null) {
                started.close();
                started = null;
            }
        }
        synchronized (this) {
            booting--;
            if (started == null) {
                return; // not retried at once: a boot that fails would fail again; the next exec tries anew
            }
            if (closed || !Shape.of(started.launch).equals(Shape.of(guests.launch(policy, new byte[32])))) {
                retire(started);
                refill(); // the pool turned to another shape while this one booted
                return;
            }
            ready.addLast(new Warm(started, Shape.of(started.launch), System.nanoTime()));
            notifyAll();
        }
    }

    /**
     * Runs a few of Kavach's own {@code true} execs in a fresh guest before it counts as ready: under TCG a guest's
     * first execs pay for translating the agent's code paths (hundreds of ms each), which a warm guest has done.
     * Nothing of these execs is left for the user's: each ends with its processes killed, and the user's exec
     * gets a task directory of its own.
     */
    private static void warmUp(SessionGuests.Started started, SandboxPolicy shape) {
        ExecRequest request = ExecRequest.builder("true").policy(shape).timeout(Duration.ofSeconds(30)).build();
        for (int i = 0; i < WARM_UP_EXECS; i++) {
            started.guest.exec((dir, id, out) -> TaskArchive.encode(request, null, dir,
                    java.util.Map.of("timeout-ms", "30000\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)), out), 0, OutputListener.NONE,
                    Duration.ofSeconds(60));
        }
    }

    /** Waits until {@code count} guests are ready (for benchmarks and tests); false when {@code timeout} passed first. */
    synchronized boolean awaitReady(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (ready.size() < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /** Stops every pooled guest, and every guest still booting once its boot ends. */
    @Override
    public void close() {
        List<Warm> stopping;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            stopping = new ArrayList<>(ready);
            ready.clear();
            notifyAll();
        }
        booter.shutdown();
        stopping.forEach(w -> w.guest().close());
        try {
            // a boot in flight ends within the boot timeout and retires its guest itself (closed is set)
            booter.awaitTermination(5, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopper.shutdown();
        try {
            stopper.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
