package dev.kavach.backend.sev.qemu;

import dev.kavach.api.ConfigurationException;

/**
 * Makes text safe inside a QEMU option list ({@code -object a=b,c=d}): a {@code ,} is doubled so it cannot
 * start a new option, and characters that no escaping makes safe (control characters such as newline and
 * NUL) are rejected with an error naming the setting the value came from.
 */
public final class QemuOptionValue {
    private QemuOptionValue() {
    }

    /**
     * @param setting where the value came from, for the message (e.g. {@code kavach.backends.vm.kernel})
     * @param value   the raw value
     * @return the value with every {@code ,} written {@code ,,}
     * @throws ConfigurationException when the value is empty or holds a control character
     */
    public static String escape(String setting, String value) {
        return requireSafe(setting, value).replace(",", ",,");
    }

    /**
     * Checks a value passed as a whole argument (a {@code -kernel} path, the {@code -append} line): QEMU does
     * not split those at commas, but a control character would still corrupt the command line or a log.
     */
    public static String requireSafe(String setting, String value) {
        if (value == null || value.isEmpty()) {
            throw new ConfigurationException(setting + " is empty", "set " + setting + " to a non-empty value");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7F) {
                throw new ConfigurationException(
                        setting + " contains control character " + String.format("U+%04X", (int) c) + " at index " + i
                                + ", which cannot be passed to QEMU safely: '" + printable(value) + "'",
                        "remove newlines, NUL and other control characters from " + setting);
            }
        }
        return value;
    }

    private static String printable(String value) {
        StringBuilder text = new StringBuilder();
        for (char c : value.toCharArray()) {
            text.append(c < 0x20 || c == 0x7F ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return text.toString();
    }
}
