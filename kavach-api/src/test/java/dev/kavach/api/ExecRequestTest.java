package dev.kavach.api;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExecRequestTest {
    @Test
    void argvIsKeptExactlyAndAShellOnlyWhenAskedFor() {
        ExecRequest argv = ExecRequest.of("echo", "a b", "$(id)", "");
        assertEquals(List.of("echo", "a b", "$(id)", ""), argv.command().argv());
        assertEquals(List.of("/bin/sh", "-c", "echo $HOME"), ExecRequest.shell("echo $HOME").command().argv());
        assertEquals(SandboxPolicy.basic(), argv.policy(), "the default policy isolates");
        assertEquals(Map.of(), argv.env(), "the host environment is never inherited implicitly");
    }

    @Test
    void aRequestWithoutAPolicyOfItsOwnSaysSoUntilOneIsSet() {
        ExecRequest plain = ExecRequest.of("true").withEnv("A", "b").withTimeout(Duration.ofSeconds(3)).withWorkdir("/tmp");
        assertTrue(plain.inheritsPolicy(), "of() sets no policy: the configured one applies");
        assertTrue(ExecRequest.shell("true").inheritsPolicy());
        assertTrue(ExecRequest.builder("true").env("A", "b").build().inheritsPolicy());
        assertTrue(plain.toBuilder().build().inheritsPolicy(), "a derived copy keeps inheriting");
        assertEquals(SandboxPolicy.basic(), plain.policy(), "a backend called directly still sees the basic preset");

        ExecRequest own = plain.withPolicy(SandboxPolicy.basic());
        assertFalse(own.inheritsPolicy(), "an explicitly set policy, even the basic preset, is the request's own");
        assertFalse(own.toBuilder().build().inheritsPolicy());
        assertFalse(own.withEnv("B", "c").withStdin(new byte[] {1}).inheritsPolicy());
        assertFalse(ExecRequest.builder("true").policy(SandboxPolicy.strict()).build().inheritsPolicy());
        assertNotEquals(plain, own, "inheriting and owning the same policy are different requests");
        assertTrue(plain.toString().contains("policy=inherited"), plain.toString());
    }

    @Test
    void timeoutFallsBackToThePolicys() {
        ExecRequest request = ExecRequest.of("true").withPolicy(SandboxPolicy.basic().withTimeout(Duration.ofSeconds(9)));
        assertEquals(Duration.ofSeconds(9), request.effectiveTimeout());
        assertEquals(Duration.ofSeconds(2), request.withTimeout(Duration.ofSeconds(2)).effectiveTimeout());
    }

    @Test
    void stdinIsCopiedSoCallersCannotChangeItLater() {
        byte[] input = {1, 2, 3};
        ExecRequest request = ExecRequest.of("cat").withStdin(input);
        input[0] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, request.stdin());
        request.stdin()[1] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, request.stdin());
        assertEquals(request, ExecRequest.of("cat").withStdin(new byte[] {1, 2, 3}));
    }

    @Test
    void whatExecveCannotCarryIsRefusedUpFront() {
        assertThrows(IllegalArgumentException.class, () -> ExecRequest.of(List.of()));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ExecRequest.of("echo", "a\0b")).getMessage().contains("NUL"));
        assertThrows(IllegalArgumentException.class, () -> ExecRequest.of("env").withEnv("A=B", "x"));
        assertThrows(IllegalArgumentException.class, () -> ExecRequest.of("env").withEnv("", "x"));
        assertThrows(IllegalArgumentException.class, () -> ExecRequest.of("env").withEnv("A", "x\0y"));
        assertThrows(IllegalArgumentException.class, () -> ExecRequest.of("pwd").withWorkdir(""));
        assertThrows(IllegalArgumentException.class, () -> ExecRequest.of("true").withTimeout(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> ExecRequest.shell("echo \0"));
    }
}
