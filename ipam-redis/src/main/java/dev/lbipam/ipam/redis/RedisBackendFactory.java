package dev.lbipam.ipam.redis;

import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.IpamBackendFactory;
import dev.lbipam.ipam.spi.IpamException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.util.HashSet;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisSentinelClient;
import redis.clients.jedis.UnifiedJedis;

/** {@code --backend redis}: several clusters share pools through exclusive claims in Redis. */
public final class RedisBackendFactory implements IpamBackendFactory {
  private static final Logger LOG = LoggerFactory.getLogger(RedisBackendFactory.class);

  @Override
  public String name() {
    return "redis";
  }

  @Override
  public IpamBackend create(BackendContext context) {
    RedisSettings settings = RedisSettings.from(context);
    LOG.info("redis backend settings={}", settings);
    ClaimStore store =
        new ClaimStore(connect(settings), new ClaimKeys(settings.keyPrefix(), settings.addressSpace()), settings.clusterId(),
            Clock.systemUTC());
    return new RedisBackend(store, settings.gcGrace().toMillis(), settings.quarantine().toMillis(), Clock.systemUTC());
  }

  static UnifiedJedis connect(RedisSettings settings) {
    int timeout = (int) settings.timeout().toMillis();
    DefaultJedisClientConfig.Builder config =
        DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(timeout)
            .socketTimeoutMillis(timeout)
            .clientName("lbipam-" + settings.clusterId());
    settings.username().ifPresent(config::user);
    settings.password().ifPresent(config::password);
    if (settings.tls()) {
      config.ssl(true);
      if (settings.tlsCaFile().isPresent()) {
        config.sslSocketFactory(trusting(settings).getSocketFactory());
      }
    }
    JedisClientConfig clientConfig = config.build();
    if (settings.sentinelMaster().isPresent()) {
      Set<HostAndPort> sentinels = new HashSet<>();
      settings.sentinels().forEach(s -> sentinels.add(HostAndPort.from(s)));
      // Sentinels have credentials of their own (often none): never send them the master's.
      DefaultJedisClientConfig.Builder sentinelConfig =
          DefaultJedisClientConfig.builder().connectionTimeoutMillis(timeout).socketTimeoutMillis(timeout);
      settings.sentinelPassword().ifPresent(sentinelConfig::password);
      return RedisSentinelClient.builder()
          .masterName(settings.sentinelMaster().get())
          .sentinels(sentinels)
          .clientConfig(clientConfig)
          .sentinelClientConfig(sentinelConfig.build())
          .build();
    }
    int port = settings.url().getPort() > 0 ? settings.url().getPort() : 6379;
    return RedisClient.builder().hostAndPort(settings.url().getHost(), port).clientConfig(clientConfig).build();
  }

  private static SSLContext trusting(RedisSettings settings) {
    try {
      return dev.lbipam.ipam.remote.TlsTrust.fromCaFile(settings.tlsCaFile().get()).context();
    } catch (dev.lbipam.ipam.remote.TlsTrust.UnusableCaFileException e) {
      throw new IpamException("redis " + e.getMessage(), false, e);
    }
  }
}
