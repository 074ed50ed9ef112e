// ES module syntax: default and named imports, as a program compiled by tsc would use them.
import autobahn from 'autobahn';
import { Connection, Router } from 'autobahn';

export async function roundTrip(): Promise<number> {
  const router: autobahn.Router = new Router({ log: false });
  await router.start();
  const connection = new Connection({ url: router.url ?? '', realm: 'realm1', use_es6_promises: true });
  return new Promise<number>((resolve) => {
    connection.onopen = async (session: autobahn.Session) => {
      await session.register('com.example.add2', (args?: unknown[]) => Number(args?.[0]) + Number(args?.[1]));
      const sum: unknown = await session.call('com.example.add2', [2, 3]);
      await session.publish('com.example.hello', ['hi'], {}, { acknowledge: true });
      connection.close();
      await router.stop();
      resolve(Number(sum));
    };
    connection.open();
  });
}
