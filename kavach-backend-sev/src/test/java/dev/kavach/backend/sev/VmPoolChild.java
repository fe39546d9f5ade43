package dev.kavach.backend.sev;

import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A separate JVM for {@link VmPoolTest}: a vm backend with a pool of two warm guests; prints "qemu PID" for each
 * once both are ready, then waits to be killed. Arguments: kernel, modules, state directory.
 */
public final class VmPoolChild {
    private VmPoolChild() {
    }

    public static void main(String[] args) throws Exception {
        BackendSettings settings = BackendSettings.of("kavach.backends.vm", Map.of(
                "kernel", args[0], "modules", args[1], "accel", "tcg", "boot-timeout", "180s", "pool.size", "2"));
        VmBackend backend = (VmBackend) new VmBackendProvider().create(new BackendContext("vm", settings, Path.of(args[2]), "0.1.0"));
        backend.start();
        VmPool pool = backend.pool().orElseThrow();
        if (!pool.awaitReady(2, Duration.ofMinutes(5))) {
            System.out.println("not ready");
            System.exit(1);
        }
        for (long pid : pool.readyPids()) {
            System.out.println("qemu " + pid);
        }
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(10));
    }
}
