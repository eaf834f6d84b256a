/**
 * The demo tenants' credentials as typed constants, for users' own tests (the same values as
 * fixtures/ and the README; the shared demo-tenants contract fixes them).
 */
export const DEMO = {
  concur: {
    /** The app every demo company has enabled. */
    clientId: '1d3b8a2e-6c0f-4e7a-9b5d-0a1c2e3f4d5e',
    clientSecret: 'demo-concur-secret',
    /** Enabled by acme only; owns at-acme-other-token. */
    otherClient: { clientId: '2f4e6a8c-0b1d-4f3e-8a5c-7e9b1d3f5a7c', clientSecret: 'other-concur-secret' },
    companies: {
      'company-name-llc': { companyId: '7c2b6e4a-1f0d-4c8b-9a3e-5d6f7a8b9c01', requestToken: 'at-demo-request-token', users: 2 },
      acme: { companyId: '3a9c5e7b-2d4f-4b6a-8c0e-1f3a5b7d9e02', requestToken: 'at-acme-request-token', otherRequestToken: 'at-acme-other-token', users: 2500 },
      globex: { companyId: '5b7d9f1a-3c5e-4d7f-9a1b-2c4e6a8c0e03', requestToken: 'at-globex-request-token', users: 100000 }
    }
  },
  ispring: {
    demo: {
      accountUrl: 'https://demo.ispringlearn.com',
      apiClients: {
        owner: { clientId: '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d', clientSecret: 'demo-ispring-secret' },
        salesAdmin: { clientId: '1c2d3e4f-5061-4b7c-9d8e-0f1a2b3c4d5e', clientSecret: 'demo-sales-secret' },
        learner: { clientId: '3e4f5061-7283-4d9e-8f0a-1b2c3d4e5f60', clientSecret: 'demo-learner-secret' }
      },
      /** X-Auth-Email (login or email) and X-Auth-Password of each demo user. */
      users: {
        owner: { userId: 'a1000000-0000-4000-8000-000000000001', email: 'owner@demo.test', password: 'owner-pass' },
        admin: { userId: 'a1000000-0000-4000-8000-000000000002', email: 'admin@demo.test', password: 'admin-pass' },
        salesAdmin: { userId: 'a1000000-0000-4000-8000-000000000003', email: 'sales.admin@demo.test', password: 'sales-pass' },
        publisher: { userId: 'a1000000-0000-4000-8000-000000000004', email: 'publisher@demo.test', password: 'publisher-pass' },
        author: { userId: 'a1000000-0000-4000-8000-000000000005', email: 'author@demo.test', password: 'author-pass' },
        learner: { userId: 'a1000000-0000-4000-8000-000000000006', email: 'learner@demo.test', password: 'learner-pass' },
        emeaRep: { userId: 'a1000000-0000-4000-8000-000000000007', email: 'emea.rep@demo.test', password: 'emea-pass' },
        former: { userId: 'a1000000-0000-4000-8000-000000000008', email: 'former@demo.test', password: 'former-pass' },
        inactive: { userId: 'a1000000-0000-4000-8000-000000000009', email: 'inactive@demo.test', password: 'inactive-pass' },
        onLeave: { userId: 'a1000000-0000-4000-8000-000000000010', email: 'on.leave@demo.test', password: 'leave-pass' }
      }
    },
    initech: {
      accountUrl: 'https://initech.ispringlearn.com',
      apiClient: { clientId: '2d3e4f50-6172-4c8d-9e0f-1a2b3c4d5e6f', clientSecret: 'initech-secret' },
      owner: { email: 'owner@initech.test', password: 'initech-pass' },
      users: 5000
    }
  }
} as const

export type DemoCredentials = typeof DEMO
