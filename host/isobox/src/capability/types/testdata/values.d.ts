// A method marked @throws E rejects with an Error whose .value is the E.
declare namespace env {
  namespace values {
    type Bytes = Uint8Array;
    interface Point { x: number; y: number }
    interface Person { fullName: string; age?: number | null; tags: string[] }
    type Shape =
      | { tag: "circle"; val: number }
      | { tag: "rect"; val: Point }
      | { tag: "empty" }
      | { tag: "maybe"; val?: number | null };
    type Color = "red" | "dark-green" | "blue";
    interface Perms { read?: boolean; write?: boolean; execAll?: boolean }
    interface Outcome {
      value: { ok: number } | { err: string };
      bare: { ok: null } | { err: null };
    }
    type Id = number | bigint;
    type MaybeName = string | null;
    interface Named { name?: MaybeName }
    interface ErrorInfo { code: number; message: string }
    interface Api {
      echoBool(v: boolean): Promise<boolean>;
      echoU8(v: number): Promise<number>;
      echoU16(v: number): Promise<number>;
      echoU32(v: number): Promise<number>;
      echoU64(v: number | bigint): Promise<number | bigint>;
      echoS8(v: number): Promise<number>;
      echoS16(v: number): Promise<number>;
      echoS32(v: number): Promise<number>;
      echoS64(v: number | bigint): Promise<number | bigint>;
      echoF32(v: number): Promise<number>;
      echoF64(v: number): Promise<number>;
      echoChar(v: string): Promise<string>;
      echoString(v: string): Promise<string>;
      echoBytes(v: Uint8Array): Promise<Uint8Array>;
      echoBytesAlias(v: Bytes): Promise<Bytes>;
      echoFixed(v: Uint8Array): Promise<Uint8Array>;
      echoFixedPoints(v: [Point, Point]): Promise<[Point, Point]>;
      echoList(v: number[]): Promise<number[]>;
      echoNested(v: string[][]): Promise<string[][]>;
      echoTuple(v: [string, number, boolean]): Promise<[string, number, boolean]>;
      echoPoint(v: Point): Promise<Point>;
      echoPerson(v: Person): Promise<Person>;
      echoPoints(v: Point[]): Promise<Point[]>;
      echoOption(v?: string | null): Promise<string | null>;
      echoOptions(v: (number | null)[]): Promise<(number | null)[]>;
      echoShape(v: Shape): Promise<Shape>;
      echoColor(v: Color): Promise<Color>;
      echoPerms(v: Perms): Promise<Perms>;
      echoOutcome(v: Outcome): Promise<Outcome>;
      echoResults(v: ({ ok: number } | { err: string })[]): Promise<({ ok: number } | { err: string })[]>;
      echoId(v: Id): Promise<Id>;
      echoNamed(v: Named): Promise<Named>;
      optionalTail(a: string, b?: number | null, c?: string | null): Promise<string>;
      nothing(): Promise<void>;
      /** @throws ErrorInfo */
      fallible(fail: boolean): Promise<string>;
      /** @throws Color */
      fallibleEnum(): Promise<void>;
      /** @throws */
      fallibleBare(): Promise<void>;
      /** @throws Shape */
      fallibleShape(): Promise<number>;
      /** @throws string */
      fallibleText(): Promise<Point[]>;
    }
  }
  const values: values.Api;
}
