package dev.kavach.backend.sev.guest;

import dev.kavach.backend.sev.VmPrerequisites;
import dev.kavach.api.Command;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.PolicyNotEnforceableException;
import dev.kavach.api.SandboxPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The agent image and the task archive, checked with the same busybox tools the guest uses. */
class GuestImageTest {
    @Test
    void modulesAreOrderedWithEveryDependencyFirst() throws IOException {
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel();
        KernelModules modules = KernelModules.scan(kernel.modules());
        List<String> order = modules.loadOrder(List.of("virtio_console", "virtio_pci"));
        assertThat(order).contains("virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci", "virtio_console");
        for (String name : order) {
            for (String dependency : KernelModules.dependencies(modules.bytes(name), modules.file(name))) {
                assertThat(order.indexOf(KernelModules.normalize(dependency))).as(dependency + " before " + name).isBetween(0, order.indexOf(name) - 1);
            }
        }
        assertThat(modules.loadOrder(List.of("no_such_module_builtin"))).isEmpty();
    }

    @Test
    void compressedModulesAreReadLikePlainOnes(@TempDir Path dir) throws Exception {
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel();
        KernelModules plain = KernelModules.scan(kernel.modules());
        Path tree = Files.createDirectories(dir.resolve("kernel/drivers"));
        for (String name : List.of("virtio", "virtio_ring", "virtio_console")) {
            Files.write(tree.resolve(name + ".ko"), plain.bytes(name));
        }
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(tree.resolve("virtio.ko.gz")))) {
            out.write(plain.bytes("virtio"));
        }
        Files.delete(tree.resolve("virtio.ko"));
        Process xz = new ProcessBuilder("xz", tree.resolve("virtio_console.ko").toString()).start();
        VmPrerequisites.require(xz.waitFor() == 0, "xz (apt-get install xz-utils)");

        KernelModules compressed = KernelModules.scan(dir);
        assertThat(compressed.file("virtio_console").getFileName().toString()).isEqualTo("virtio_console.ko.xz");
        assertThat(compressed.bytes("virtio_console")).isEqualTo(plain.bytes("virtio_console"));
        assertThat(compressed.bytes("virtio")).isEqualTo(plain.bytes("virtio"));
        assertThat(compressed.loadOrder(List.of("virtio_console"))).isEqualTo(plain.loadOrder(List.of("virtio_console")));
    }

    @Test
    void theImageHoldsBusyboxTheAgentAndTheModulesInLoadOrderAndIsCachedByContent(@TempDir Path dir) throws Exception {
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel();
        Path busybox = VmPrerequisites.busybox();
        GuestImageBuilder.Image first = GuestImageBuilder.build(busybox, kernel.modules(), GuestImageBuilder.VM_MODULES, dir.resolve("cache"), null);
        GuestImageBuilder.Image again = GuestImageBuilder.build(busybox, kernel.modules(), GuestImageBuilder.VM_MODULES, dir.resolve("cache"), dir.resolve("out.gz"));
        assertThat(first.cached()).isFalse();
        assertThat(again.cached()).isTrue();
        assertThat(again.hash()).isEqualTo(first.hash());
        assertThat(Files.readAllBytes(again.initrd())).isEqualTo(Files.readAllBytes(first.initrd()));

        byte[] cpio;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(first.initrd()))) {
            cpio = in.readAllBytes();
        }
        String listing = new String(run(List.of(busybox.toString(), "cpio", "-t"), cpio, dir), StandardCharsets.UTF_8);
        assertThat(listing.lines()).contains("init", "bin/busybox", "bin/sh", "kavach/run", "kavach/attest", "kavach/drop-exec", "etc/kavach/modules",
                "lib/modules/kavach/virtio_console.ko", "lib/modules/kavach/virtio_pci.ko");
        Path root = Files.createDirectories(dir.resolve("root"));
        run(List.of(busybox.toString(), "cpio", "-i", "-d"), cpio, root);
        assertThat(Files.readAllLines(root.resolve("etc/kavach/modules"))).isEqualTo(first.modules());
        assertThat(Files.isExecutable(root.resolve("init"))).isTrue();
        assertThat(Files.readString(root.resolve("init"))).startsWith("#!/bin/busybox sh");
        assertThat(Files.readAllBytes(root.resolve("kavach/drop-exec"))).isEqualTo(DropExecProgram.elf());
        assertThat(Files.isExecutable(root.resolve("kavach/drop-exec"))).isTrue();
        assertThat(Files.exists(root.resolve("work"))).as("the agent creates the work directory for the task user").isFalse();
        // Production images ask configfs-tsm and nothing else for a report: no simulated PSP, no other fallback.
        assertThat(Files.readAllBytes(root.resolve("kavach/attest"))).isEqualTo(GuestImageBuilder.resource("attest"));
        assertThat(Files.readString(root.resolve("kavach/attest"))).contains("/sys/kernel/config/tsm/report").doesNotContain("test-psp")
                .doesNotContain("virtio-ports");
    }

    @Test
    void aDynamicBusyboxIsRefusedWithTheFix(@TempDir Path dir) throws IOException {
        VmPrerequisites.GuestKernel kernel = VmPrerequisites.kernel();
        assertThatThrownBy(() -> GuestImageBuilder.build(Path.of("/bin/ls"), kernel.modules(), GuestImageBuilder.VM_MODULES, dir, null))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not a statically linked")
                .hasMessageContaining("busybox-static");
    }

    @Test
    void theTaskArchiveDecodesToExactlyTheArgvAndEnvironmentWithBusyboxXargs(@TempDir Path dir) throws Exception {
        Path busybox = VmPrerequisites.busybox();
        List<String> argv = List.of("printf", "[%s]\\n", "a b", "it's", "$(id)", "x,y=z", "tab\there", "new\nline", "", "-n");
        ExecRequest request = new ExecRequest(new Command.Argv(argv), "in".getBytes(StandardCharsets.UTF_8),
                Map.of("A", "1 2", "B", "$HOME;`x`", "-u", "opt-like"), "/w,x", SandboxPolicy.strict(), Duration.ofSeconds(5));
        byte[] archive = TaskArchive.encode(request, null);

        run(List.of(busybox.toString(), "cpio", "-i", "-d"), archive, dir);
        assertThat(Files.readString(dir.resolve("workdir"))).isEqualTo("/w,x");
        assertThat(Files.readString(dir.resolve("stdin"))).isEqualTo("in");
        assertThat(Files.readString(dir.resolve("limits"))).as("open files, file size, pids, read-only root, environment entries")
                .isEqualTo("1024 67108864 64 1 3\n");
        assertThat(Files.readString(dir.resolve("path"))).as("no PATH in the request: the default").isEqualTo(TaskArchive.DEFAULT_PATH);
        assertThat(Files.exists(dir.resolve("nonce"))).isFalse();
        // The guest composes cmd from argv and env (attest command), then runs xargs -0 -x -a cmd RUNNER...;
        // here the runner prints each argument it receives.
        GuestAttestScriptTest.attest(dir, "command");
        byte[] decoded = run(List.of(busybox.toString(), "xargs", "-0", "-x", "-s", "1048576", "-a", dir.resolve("cmd").toString(),
                busybox.toString(), "sh", "-c", "for a in \"$@\"; do printf '%s\\0' \"$a\"; done", "runner"), new byte[0], dir);
        List<String> received = List.of(new String(decoded, StandardCharsets.UTF_8).split("\0", -1)).subList(0, TaskArchive.runnerArgs(request).size());
        assertThat(received).isEqualTo(TaskArchive.runnerArgs(request));
        // env -i -- VARS (sorted), then drop-exec, the program slot the runner resolves, then the argv untouched.
        assertThat(received.subList(0, 7)).containsExactly("/bin/env", "-i", "--", "-u=opt-like", "A=1 2", "B=$HOME;`x`", "/kavach/drop-exec");
        assertThat(received.get(7)).isEqualTo("printf");
        assertThat(received.subList(8, received.size())).isEqualTo(argv);
        // And the command itself, through env -i, sees exactly its argv and env (drop-exec's place taken by env's own exec).
        byte[] output = run(List.of(busybox.toString(), "xargs", "-0", "-x", "-a", dir.resolve("cmd").toString(),
                busybox.toString(), "sh", "-c", "k=$(($# - " + (argv.size() + 1) + ")); shift $k; shift; \"$@\"", "runner"), new byte[0], dir,
                Map.of("PATH", "/usr/bin:/bin"));
        assertThat(new String(output, StandardCharsets.UTF_8)).isEqualTo("[a b]\n[it's]\n[$(id)]\n[x,y=z]\n[tab\there]\n[new\nline]\n[]\n[-n]\n");
    }

    @Test
    void theTasksPathTravelsAsItsOwnFile(@TempDir Path dir) throws Exception {
        ExecRequest request = ExecRequest.of("tool").withEnv(Map.of("PATH", "/opt/x:/bin"));
        run(List.of(VmPrerequisites.busybox().toString(), "cpio", "-i", "-d"), TaskArchive.encode(request, null), dir);
        assertThat(Files.readString(dir.resolve("path"))).isEqualTo("/opt/x:/bin");
        assertThat(Files.readString(dir.resolve("limits"))).endsWith(" 1\n");
    }

    @Test
    void theNonceTravelsAsItsOwnFileAndOversizedArgumentsAreRefused(@TempDir Path dir) throws Exception {
        byte[] nonce = new byte[32];
        nonce[0] = 7;
        run(List.of(VmPrerequisites.busybox().toString(), "cpio", "-i", "-d"), TaskArchive.encode(ExecRequest.of("true"), nonce), dir);
        assertThat(Files.readString(dir.resolve("nonce"))).isEqualTo("07" + "00".repeat(31));
        assertThat(Files.exists(dir.resolve("cmd"))).as("the host sends argv and env, never a composed command").isFalse();
        assertThatThrownBy(() -> TaskArchive.encode(ExecRequest.of("echo", "x".repeat(200_000)), null))
                .isInstanceOf(PolicyNotEnforceableException.class)
                .hasMessageContaining("per string");
    }

    static byte[] run(List<String> argv, byte[] stdin, Path dir) throws Exception {
        return run(argv, stdin, dir, null);
    }

    static byte[] run(List<String> argv, byte[] stdin, Path dir, Map<String, String> env) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(argv).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
        if (env != null) {
            builder.environment().clear();
            builder.environment().putAll(env);
        }
        Process process = builder.start();
        try (var in = process.getOutputStream()) {
            in.write(stdin);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        process.getInputStream().transferTo(out);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", argv)).isZero();
        return out.toByteArray();
    }
}
