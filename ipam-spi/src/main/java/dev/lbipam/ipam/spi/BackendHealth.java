package dev.lbipam.ipam.spi;

/** Whether the backend can serve allocations right now, and why not. */
public record BackendHealth(boolean available, String detail) {
  public static BackendHealth up() {
    return new BackendHealth(true, "ok");
  }

  public static BackendHealth down(String detail) {
    return new BackendHealth(false, detail);
  }
}
