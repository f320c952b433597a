package dev.lbipam.ipam.spi;

/**
 * Creates a backend. Found with {@link java.util.ServiceLoader}: a backend jar lists its factory in
 * {@code META-INF/services/dev.lbipam.ipam.spi.IpamBackendFactory}. Factories are stateless.
 */
public interface IpamBackendFactory {

  /** The name users select with {@code --backend}, e.g. {@code configmap}. Unique. */
  String name();

  /**
   * Creates a backend for one cluster. Fails with {@link IpamException} (not retryable) when the
   * context is unusable, e.g. a required option is missing; the message says what to set.
   */
  IpamBackend create(BackendContext context);
}
