package dev.kavach.backend.sev;

import dev.kavach.api.BackendContext;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.SandboxBackend;
import dev.kavach.api.StdStream;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A separate JVM for {@link VmConfinementTest}: runs one vm exec that sleeps, prints "qemu PID" once the
 * task has started, and waits to be killed. Arguments: kernel, modules, state directory.
 */
public final class VmExecChild {
    private VmExecChild() {
    }

    public static void main(String[] args) {
        BackendSettings settings = BackendSettings.of("kavach.backends.vm", Map.of(
                "kernel", args[0], "modules", args[1], "accel", "tcg", "boot-timeout", "180s"));
        try (SandboxBackend backend = new VmBackendProvider().create(new BackendContext("vm", settings, Path.of(args[2]), "0.1.0"))) {
            backend.exec(ExecRequest.shell("echo started; sleep 600").withTimeout(Duration.ofSeconds(600)), (stream, data, offset, length) -> {
                if (stream == StdStream.STDOUT) {
                    ProcessHandle.current().children().filter(p -> p.info().arguments()
                                    .map(a -> String.join(" ", a).contains("-sandbox")).orElse(false))
                            .findFirst().ifPresent(qemu -> {
                                System.out.println("qemu " + qemu.pid());
                                System.out.flush();
                            });
                }
            });
        }
    }
}
