package dev.lbipam.ipam.netbox;

import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.IpamBackendFactory;
import dev.lbipam.ipam.spi.IpamException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --backend netbox}: addresses allocated in, and recorded by, NetBox. Options are listed in
 * {@link NetBoxSettings}; the token is the {@code netbox-token} secret. Refuses an empty cluster
 * id, because several clusters may share one NetBox. Stateless.
 */
public final class NetBoxBackendFactory implements IpamBackendFactory {
  public static final String NAME = "netbox";
  private static final Logger LOG = LoggerFactory.getLogger(NetBoxBackendFactory.class);

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Validates the options, then runs the set-up (tag and custom fields). A bad token, a missing
   * permission or an unfit custom field fails here with a message naming it; an unreachable
   * NetBox does not (the set-up is retried and the backend reports itself down meanwhile).
   */
  @Override
  public IpamBackend create(BackendContext context) {
    NetBoxSettings settings = NetBoxSettings.from(context);
    LOG.info("netbox backend settings={}", settings);
    NetBoxBackend backend;
    try {
      backend = new NetBoxBackend(settings);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IpamException("netbox backend: " + e.getMessage(), false, e);
    }
    try {
      backend.start();
    } catch (NetBoxApiException e) {
      backend.close();
      throw new IpamException(e.getMessage(), false, e);
    }
    return backend;
  }
}
