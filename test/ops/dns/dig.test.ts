import { describe, expect, it } from 'vitest';
import { digArgv, parseDig } from '../../../src/ops/dns/dig.js';

const dig = (header: string, flags: string, sections: string, server = '127.0.0.1#53(127.0.0.1) (UDP)', extra = '') => `
; <<>> DiG 9.18.33 <<>> @127.0.0.1 -t A -q x
; (1 server found)
;; global options: +cmd
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: ${header}, id: 41873
;; flags: ${flags}; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
${extra};; QUESTION SECTION:
;x.example.			IN	A

${sections}
;; Query time: 23 msec
;; SERVER: ${server}
;; WHEN: Mon Mar 03 10:14:22 CET 2025
;; MSG SIZE  rcvd: 57
`;

describe('parseDig', () => {
  it('reads a NOERROR answer: status, flags, records, time, server', () => {
    const out = parseDig(
      dig(
        'NOERROR',
        'qr aa rd ra',
        ';; ANSWER SECTION:\njellyfin.home.example.net. 300\tIN\tA\t192.168.1.50\njellyfin.home.example.net. 300\tIN\tA\t192.168.1.51\n',
      ),
    );
    expect(out).toMatchObject({
      reached: true,
      status: 'NOERROR',
      flags: ['qr', 'aa', 'rd', 'ra'],
      authenticated: false,
      queryTimeMs: 23,
      server: '127.0.0.1#53(127.0.0.1) (UDP)',
    });
    expect(out.answers).toEqual([
      { name: 'jellyfin.home.example.net.', ttl: 300, class: 'IN', type: 'A', data: '192.168.1.50' },
      { name: 'jellyfin.home.example.net.', ttl: 300, class: 'IN', type: 'A', data: '192.168.1.51' },
    ]);
  });

  it('reads NXDOMAIN with the SOA in the authority section', () => {
    const out = parseDig(
      dig('NXDOMAIN', 'qr aa rd ra', ';; AUTHORITY SECTION:\nhome.lan.\t\t3600\tIN\tSOA\tpi.hole. hostmaster.pi.hole. 1 3600 600 86400 3600\n'),
    );
    expect(out.status).toBe('NXDOMAIN');
    expect(out.answers).toEqual([]);
    expect(out.authority).toEqual([{ name: 'home.lan.', ttl: 3600, class: 'IN', type: 'SOA', data: 'pi.hole. hostmaster.pi.hole. 1 3600 600 86400 3600' }]);
  });

  it('reads SERVFAIL and the extended DNS error', () => {
    const out = parseDig(dig('SERVFAIL', 'qr rd ra', '', undefined, '; EDE: 6 (DNSSEC Bogus): (signature crypto failed)\n'));
    expect(out).toMatchObject({ reached: true, status: 'SERVFAIL', answers: [], ede: '6 (DNSSEC Bogus): (signature crypto failed)' });
  });

  it('sees the ad flag and keeps RRSIG data whole', () => {
    const out = parseDig(
      dig(
        'NOERROR',
        'qr rd ra ad',
        ';; ANSWER SECTION:\nexample.com.\t\t3600\tIN\tA\t93.184.215.14\nexample.com.\t\t3600\tIN\tRRSIG\tA 13 2 3600 20250320000000 20250227000000 2874 example.com. 8yJ1k4sU0m==\n',
      ),
    );
    expect(out.authenticated).toBe(true);
    expect(out.answers[1]).toEqual({
      name: 'example.com.',
      ttl: 3600,
      class: 'IN',
      type: 'RRSIG',
      data: 'A 13 2 3600 20250320000000 20250227000000 2874 example.com. 8yJ1k4sU0m==',
    });
  });

  it('reads MX, SRV and TXT data (quotes and spaces inside TXT kept)', () => {
    const out = parseDig(
      dig(
        'NOERROR',
        'qr rd ra',
        [
          ';; ANSWER SECTION:',
          'example.com.\t\t86400\tIN\tMX\t10 mail.example.com.',
          '_imaps._tcp.gmail.com.\t86400\tIN\tSRV\t5 0 993 imap.gmail.com.',
          '_dmarc.example.com.\t86400\tIN\tTXT\t"v=DMARC1; p=reject" "second string"',
          '',
        ].join('\n'),
      ),
    );
    expect(out.answers.map((r) => [r.type, r.data])).toEqual([
      ['MX', '10 mail.example.com.'],
      ['SRV', '5 0 993 imap.gmail.com.'],
      ['TXT', '"v=DMARC1; p=reject" "second string"'],
    ]);
  });

  it("reports exit 9 as no server reached, with dig's reason", () => {
    const out = parseDig(
      ';; communications error to 192.168.1.99#53: timed out\n;; communications error to 192.168.1.99#53: timed out\n\n; <<>> DiG 9.18.33 <<>> @192.168.1.99 x\n; (1 server found)\n;; global options: +cmd\n;; no servers could be reached\n',
      9,
    );
    expect(out).toMatchObject({ reached: false, error: 'no servers could be reached', answers: [] });
    expect(out.status).toBeUndefined();
  });

  it('builds an argv with the name after -q, server first, no shell', () => {
    expect(digArgv('10.43.15.84', '_dmarc.example.com', 'TXT', { dnssec: true, cd: true })).toEqual([
      'dig',
      '@10.43.15.84',
      '+time=2',
      '+tries=2',
      '+dnssec',
      '+cd',
      '-t',
      'TXT',
      '-q',
      '_dmarc.example.com',
    ]);
  });
});
