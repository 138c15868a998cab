import { describe, expect, it } from 'vitest';
import { parseCerts, parseCurlJson, timingOf, urlSchema } from '../../../src/ops/net/net-curl.js';
import { parseNc, parsePing } from '../../../src/ops/net/net-ping.js';
import { parseTraceroute } from '../../../src/ops/net/net-traceroute.js';

describe('curl -w %{json}', () => {
  const json =
    '{"certs":"","errormsg":null,"exitcode":0,"http_code":200,"http_version":"2","remote_ip":"192.168.1.50","remote_port":443,"scheme":"HTTPS","ssl_verify_result":0,"num_certs":2,"time_appconnect":0.01524,"time_connect":0.003118,"time_namelookup":0.001207,"time_pretransfer":0.015301,"time_starttransfer":0.020413,"time_total":0.020502}';

  it('parses the report and breaks the cumulative times into phases', () => {
    const j = parseCurlJson(json);
    expect(j).toMatchObject({ http_code: 200, exitcode: 0, remote_ip: '192.168.1.50', num_certs: 2 });
    expect(timingOf(j ?? {})).toEqual({ dnsMs: 1.2, connectMs: 1.9, tlsMs: 12.1, serverMs: 5.1, ttfbMs: 20.4, totalMs: 20.5 });
  });

  it('returns undefined for output that is not the JSON report', () => {
    expect(parseCurlJson('curl: option -w: unknown variable json')).toBeUndefined();
  });

  it('summarizes the leaf certificate of certinfo', () => {
    const certs =
      "Subject:CN = jellyfin.home.example.net\nIssuer:C = US, O = Let's Encrypt, CN = R11\nStart date:Feb  8 10:00:00 2025 GMT\nExpire date:May  9 10:00:00 2025 GMT\nX509v3 Subject Alternative Name:DNS:jellyfin.home.example.net\nCert:-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\nSubject:C = US, O = Let's Encrypt, CN = R11\n";
    expect(parseCerts(certs)).toEqual({
      subject: 'CN = jellyfin.home.example.net',
      issuer: "C = US, O = Let's Encrypt, CN = R11",
      notBefore: 'Feb  8 10:00:00 2025 GMT',
      notAfter: 'May  9 10:00:00 2025 GMT',
      subjectAltNames: 'DNS:jellyfin.home.example.net',
    });
    expect(parseCerts('')).toBeUndefined();
  });

  it('admits only http(s) URLs without credentials', () => {
    expect(urlSchema.parse('https://jellyfin.home.example.net/health#x')).toBe('https://jellyfin.home.example.net/health');
    expect(urlSchema.parse('http://192.168.1.99:8080')).toBe('http://192.168.1.99:8080/');
    for (const bad of ['file:///etc/passwd', 'gopher://x/', 'https://user:pw@jellyfin.home.example.net/', '-K /etc/passwd', 'not a url']) {
      expect(urlSchema.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe('ping and nc', () => {
  it('parses replies and rtt', () => {
    const out = parsePing(
      'PING 192.168.1.20 (192.168.1.20) 56(84) bytes of data.\n64 bytes from 192.168.1.20: icmp_seq=1 ttl=64 time=0.412 ms\n\n--- 192.168.1.20 ping statistics ---\n3 packets transmitted, 3 received, 0% packet loss, time 2003ms\nrtt min/avg/max/mdev = 0.388/0.400/0.412/0.009 ms\n',
    );
    expect(out).toEqual({ address: '192.168.1.20', sent: 3, received: 3, lossPercent: 0, rttMs: { min: 0.388, avg: 0.4, max: 0.412, mdev: 0.009 } });
  });

  it('parses partial and total loss, errors and busybox output', () => {
    expect(
      parsePing(
        'PING h (10.0.0.1) 56(84) bytes of data.\n\n--- h ping statistics ---\n4 packets transmitted, 3 received, +1 errors, 25% packet loss, time 3004ms\nrtt min/avg/max/mdev = 1.0/2.0/3.0/0.5 ms\n',
      ),
    ).toMatchObject({ sent: 4, received: 3, lossPercent: 25 });
    expect(
      parsePing(
        'PING 192.168.1.99 (192.168.1.99) 56(84) bytes of data.\n\n--- 192.168.1.99 ping statistics ---\n3 packets transmitted, 0 received, 100% packet loss, time 2052ms\n',
      ),
    ).toEqual({ address: '192.168.1.99', sent: 3, received: 0, lossPercent: 100 });
    expect(parsePing('', 'ping: nas.home.lan: Name or service not known\n')).toMatchObject({
      sent: 0,
      lossPercent: 100,
      error: 'ping: nas.home.lan: Name or service not known',
    });
    expect(
      parsePing(
        'PING 1.1.1.1 (1.1.1.1): 56 data bytes\n\n--- 1.1.1.1 ping statistics ---\n2 packets transmitted, 2 packets received, 0% packet loss\nround-trip min/avg/max = 10.1/11.2/12.3 ms\n',
      ),
    ).toMatchObject({ sent: 2, received: 2, rttMs: { min: 10.1, avg: 11.2, max: 12.3 } });
  });

  it('reads netcat-openbsd -z -v', () => {
    expect(parseNc(0, '', 'Connection to 192.168.1.20 445 port [tcp/microsoft-ds] succeeded!\n')).toEqual({
      state: 'open',
      message: 'Connection to 192.168.1.20 445 port [tcp/microsoft-ds] succeeded!',
    });
    expect(parseNc(1, '', 'nc: connect to 192.168.1.99 port 8080 (tcp) failed: Connection refused\n')).toEqual({
      state: 'closed',
      message: 'connect to 192.168.1.99 port 8080 (tcp) failed: Connection refused',
    });
    expect(parseNc(1, '', 'nc: connect to 10.0.0.9 port 22 (tcp) timed out: Operation now in progress\n')).toMatchObject({ state: 'closed' });
  });

  it('calls a TCP check that nc could not do "unchecked", never closed', () => {
    // BusyBox nc (Alpine) has no -z; a name the node cannot resolve; an exit code nc does not use; nothing said at all.
    expect(parseNc(1, '', 'nc: unrecognized option: z\nBusyBox v1.36.1 (2024-06-10 07:11:47 UTC) multi-call binary.\n')).toEqual({
      state: 'unchecked',
      message: 'nc exited 1: nc: unrecognized option: z',
    });
    expect(parseNc(1, '', 'nc: getaddrinfo for host "nas.lan" port 445: Name or service not known\n')).toEqual({
      state: 'unchecked',
      message: 'nc exited 1: nc: getaddrinfo for host "nas.lan" port 445: Name or service not known',
    });
    expect(parseNc(2, '', 'nc: connect to 10.0.0.9 port 22 (tcp) failed: Connection refused\n')).toMatchObject({ state: 'unchecked' });
    expect(parseNc(126, '', '')).toEqual({ state: 'unchecked', message: 'nc exited 126 without a word' });
  });
});

describe('parseTraceroute', () => {
  it('reads hops with names, bare IPs, timeouts, several responders and flags', () => {
    const out = parseTraceroute(
      [
        'traceroute to 1.1.1.1 (1.1.1.1), 30 hops max, 46 byte packets',
        ' 1  192.168.1.1 (192.168.1.1)  0.612 ms  0.498 ms  0.471 ms',
        ' 2  100.64.0.1  7.921 ms  8.104 ms  7.877 ms',
        ' 3  *  *  *',
        ' 4  a.example.net (80.81.192.9)  11.302 ms b.example.net (80.81.192.10)  11.118 ms *',
        ' 5  one.one.one.one (1.1.1.1)  11.512 ms !H  11.401 ms  11.466 ms',
        '',
      ].join('\n'),
    );
    expect(out).toMatchObject({ destination: '1.1.1.1', address: '1.1.1.1', maxHops: 30 });
    expect(out.hops).toEqual([
      { ttl: 1, ip: '192.168.1.1', rttsMs: [0.612, 0.498, 0.471], timeouts: 0 },
      { ttl: 2, ip: '100.64.0.1', rttsMs: [7.921, 8.104, 7.877], timeouts: 0 },
      { ttl: 3, rttsMs: [null, null, null], timeouts: 3 },
      {
        ttl: 4,
        host: 'a.example.net',
        ip: '80.81.192.9',
        rttsMs: [11.302, 11.118, null],
        timeouts: 1,
        others: [{ host: 'b.example.net', ip: '80.81.192.10' }],
      },
      { ttl: 5, host: 'one.one.one.one', ip: '1.1.1.1', rttsMs: [11.512, 11.401, 11.466], timeouts: 0, flags: ['!H'] },
    ]);
  });
});
