package dev.kavach.backend.process;

import dev.kavach.api.BackendSettings;
import dev.kavach.api.SandboxPolicy;
import java.util.*;

class TmpSpeedTest {
    static long ticks(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
        } catch (Exception e) { throw new RuntimeException(e); }
    }
    static long cpu(ProcessSandboxBackend server) {
        return ticks(ProcessHandle.current().pid()) + (server == null ? 0 : server.forkServerPid().stream().map(TmpSpeedTest::ticks).sum());
    }
    public static void main(String[] a) {
        ProcessBackendSettings off = ProcessBackendSettings.from(BackendSettings.of("kavach.backends.process", Map.of("fork-server", "false")));
        int n = Integer.parseInt(a[0]);
        try (var on = ProcessSandboxBackend.create(Sandboxes.DEFAULTS); var direct = ProcessSandboxBackend.create(off)) {
            for (String preset : List.of("minimal", "basic", "strict")) {
                SandboxPolicy p = Sandboxes.withoutUnenforceableLimits(SandboxPolicy.preset(preset));
                long[][] t = new long[2][n];
                long[] cpu = new long[2];
                for (int i = 0; i < n + 10; i++) {
                    for (int k = 0; k < 2; k++) {
                        long s = System.nanoTime();
                        long c0 = cpu(k == 0 ? on : null);
                        var r = (k == 0 ? on : direct).exec(Sandboxes.argv(p, "true"));
                        if (r.exitCode() != 0) throw new AssertionError(r.toString());
                        if (i >= 10) { t[k][i - 10] = System.nanoTime() - s; cpu[k] += cpu(k == 0 ? on : null) - c0; }
                    }
                }
                Arrays.sort(t[0]); Arrays.sort(t[1]);
                System.out.printf("SPEED %s fork-server median %.2f ms, direct %.2f ms (ratio %.2f); cpu per exec %.2f vs %.2f ms%n", preset, t[0][n/2] / 1e6, t[1][n/2] / 1e6, (double) t[0][n/2] / t[1][n/2], cpu[0] * 10.0 / n, cpu[1] * 10.0 / n);
            }
        }
    }
}
