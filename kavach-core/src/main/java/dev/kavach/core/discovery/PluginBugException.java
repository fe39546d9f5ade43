package dev.kavach.core.discovery;

import dev.kavach.api.SandboxException;

/**
 * A backend or command extension failed in a way it did not mean to (an unexpected {@code RuntimeException}
 * or {@code Error}): a bug of whoever wrote it, already recorded as that plugin's diagnostic by
 * {@link PluginCall}. The message says which call failed and how; the fix names the plugin.
 */
public final class PluginBugException extends SandboxException {
    private static final long serialVersionUID = 1L;

    PluginBugException(String message, String fix, Throwable cause) {
        super(message, fix, cause);
    }
}
