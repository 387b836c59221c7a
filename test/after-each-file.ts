// jest's setupFilesAfterEnv: after each test file, close its SQL pools and stop the service instances it started.
import { releaseTestResources } from '@shop/testkit';

afterAll(releaseTestResources);
