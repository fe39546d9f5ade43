package dev.kavach.api;

import static java.util.Objects.requireNonNull;

/** Whether a live sandbox backend can still take work, and why not. */
public record Health(boolean healthy, String detail) {
    public Health {
        requireNonNull(detail, "detail is null");
    }

    public static Health ok() {
        return new Health(true, "ok");
    }

    public static Health unhealthy(String detail) {
        return new Health(false, detail);
    }
}
