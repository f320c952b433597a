package dev.lbipam.ipam.configmap;

import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.IpamBackendFactory;

/** {@code --backend configmap}: kube-vip-cloud-provider's behaviour, the default. */
public final class ConfigMapBackendFactory implements IpamBackendFactory {
  public static final String NAME = "configmap";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public IpamBackend create(BackendContext context) {
    return new ConfigMapBackend();
  }
}
