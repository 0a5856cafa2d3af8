import { describe, expect, it } from 'vitest';
import { NameScreen } from '#domain/detect/dns-names';

const screen = new NameScreen({
  allowlist: ['partner.example'],
  protectedDomains: ['corp.example'],
  benignDomains: ['build.example'],
});

describe('NameScreen', () => {
  it.each([
    ['intranet', 'NOERROR', 'single-label'],
    ['15.3.4.32.in-addr.arpa', 'NOERROR', 'reverse-lookup'],
    ['1.0.0.0.ip6.arpa', 'NOERROR', 'reverse-lookup'],
    ['ip-10-0-0-1.ec2.internal', 'NOERROR', 'internal'],
    ['i-0123456789abcdef0.us-east-1.compute.internal', 'NOERROR', 'internal'],
    ['printer.local', 'NOERROR', 'internal'],
    ['api.default.svc.cluster.local', 'NXDOMAIN', 'internal'],
    ['db.ec2.internal.shop.example', 'NXDOMAIN', 'search-path'],
    ['api.svc.cluster.local.shop.example', 'NXDOMAIN', 'search-path'],
    ['www.partner.example', 'NOERROR', 'allowlisted'],
    ['mail.corp.example', 'NOERROR', 'protected'],
    ['co.uk', 'NOERROR', 'not-blockable'],
    ['x.bad_domain.example', 'NOERROR', 'not-blockable'],
  ])('leaves out %s (%s): %s', (name, rcode, reason) => {
    expect(screen.screen(name, rcode)).toEqual({ excluded: reason });
  });

  it.each([
    ['bucket.s3.amazonaws.com', 'bucket.s3.amazonaws.com', true],
    ['ec2.us-east-1.amazonaws.com', 'ec2.us-east-1.amazonaws.com', true],
    ['d111111abcdef8.cloudfront.net', 'd111111abcdef8.cloudfront.net', true],
    // The list in tldts 7.6 has `lambda-url.<region>.on.aws`: each function URL is its own registered domain.
    [
      '0123456789abcdef0123456789abcdef.lambda-url.us-east-1.on.aws',
      '0123456789abcdef0123456789abcdef.lambda-url.us-east-1.on.aws',
      true,
    ],
    ['registry.npmjs.org', 'npmjs.org', true],
    ['cache.build.example', 'build.example', true],
    ['x.evil.co.uk', 'evil.co.uk', false],
    ['abc.tenant.workers.dev', 'tenant.workers.dev', false],
    ['_dmarc.shop.example', 'shop.example', false],
  ])('counts %s under %s (benign: %s)', (name, registeredDomain, benign) => {
    expect(screen.screen(name, 'NOERROR')).toEqual({ registeredDomain, benign });
  });

  it('counts a search-path-looking name that gets answered: a server answers it', () => {
    expect(screen.screen('data.ec2.internal.tunnel.example', 'NOERROR')).toEqual({
      registeredDomain: 'tunnel.example',
      benign: false,
    });
  });
});
