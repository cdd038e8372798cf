import { didYouMean } from '../didYouMean';
import { BackgroundJobsError } from '../errors';

/**
 * Makes every assignment to an instance of a class that would change nothing throw instead: to a member the class
 * does not have (`Задание.КоличествоПовторов = 3`, a typo or a 1C field not supported here), and to a read-only
 * one (`Задание.Состояние = …`, a method). 1C raises "Поле объекта не обнаружено" there; plain JavaScript would
 * add a property nothing reads, or ignore the assignment silently outside strict mode. Call it after
 * {@link applyAliases}, so the aliases are members too.
 *
 * The instances must keep their public members on the prototype (getters over private fields): an own data
 * property stays writable. The prototype is made non-extensible, so no code can take the seal off every instance
 * (`Object.setPrototypeOf(Object.getPrototypeOf(job), …)`); instances the library reads its state from call
 * `Object.preventExtensions(this)` too, so no own property shadows a member.
 * @param what - the class in a message, English and 1C (`a background job (ФоновоеЗадание)`).
 */
export function sealMembers(prototype: object, what: string): void {
  const members = Object.getOwnPropertyNames(prototype).filter((name) => name !== 'constructor');
  for (const name of members) {
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name)!;
    if (descriptor.set !== undefined) continue;
    const get =
      descriptor.get ??
      function (this: unknown) {
        return descriptor.value as unknown;
      };
    Object.defineProperty(prototype, name, {
      get,
      set() {
        throw readOnly(name, what);
      },
      enumerable: false,
      configurable: false,
    });
  }
  // An assignment to a name found nowhere on the instance or its class reaches this proxy, at the end of the chain.
  const parent = Object.getPrototypeOf(prototype) as object;
  Object.setPrototypeOf(
    prototype,
    new Proxy(parent, {
      set(target, property) {
        if (typeof property === 'string' && property in target) throw readOnly(property, what);
        const name = typeof property === 'string' ? JSON.stringify(property) : String(property);
        const hint = typeof property === 'string' ? didYouMean(property, members) : '';
        throw new BackgroundJobsError(
          'WBJ_BAD_ARGUMENT',
          `There is no member ${name} on ${what}, so assigning it would change nothing${hint ? `; ${hint}` : ''}`,
        );
      },
    }),
  );
  Object.preventExtensions(prototype);
}

function readOnly(name: string, what: string): BackgroundJobsError {
  return new BackgroundJobsError(
    'WBJ_BAD_ARGUMENT',
    `The member ${name} of ${what} is read-only; the assignment would change nothing`,
  );
}
